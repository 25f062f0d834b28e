"""A learner's data on request (UK GDPR): everything the centre holds about them, exported as one zip, or erased."""
