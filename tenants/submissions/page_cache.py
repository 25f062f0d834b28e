"""The tracker's answers, kept per person and reused while nothing they show has changed (issue 11 §1: a page
that is asked for again and again costs a dictionary look-up, not five statements and a template).

Correctness first. An answer is reused only under a key made of everything it was made from:

* the centre's `data_version`, which the database itself moves (triggers, migration 0016_tracker) in the same
  transaction as any write to the centre's submissions, learners or approved units, or to the unit catalogue —
  whatever wrote it: a service, a job, a bulk UPDATE, a command. Invalidation is that one mechanism; no service
  calls anything. The version arrives with the centre row every centre page loads, so a reuse costs no statement;
* the centre's name and slug (shown, and in every link);
* the person: their id, name, whether they are the Quality contact (the navigation) and their session's CSRF
  secret (the page's token is valid for that session only) — one person's page is never another's;
* the request: every URL argument, and whether it is an htmx swap (a fragment) or a full page;
* the London date (the referral rates are the day's).

And an answer expires at the next moment one of the centre's dates falls due (a submission becomes overdue: its
tag, and the "overdue" filter, change with the clock alone). A request with a message to show (a flash) is never
served from, nor kept in, the cache: showing the message is part of that one answer.

The answers live in each process (a bounded LRU): nothing is shared between processes but the version, read from
the database, so a write anywhere is seen everywhere. PAGE_CACHE_ENTRIES=0 turns it off.
"""
from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

from flask import current_app, g, request, session
from flask_login import current_user
from flask_wtf.csrf import generate_csrf

from portal.extensions import htmx
from portal.workdays import to_london

EXTENSION = "tracker_page_cache"
DEFAULT_ENTRIES = 256


class PageCache:
    """A bounded LRU of (body, valid until) by key; safe across threads."""

    def __init__(self, entries: int):
        self.entries = entries
        self._items: OrderedDict[tuple, tuple[str, datetime | None]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, now: datetime) -> str | None:
        with self._lock:
            found = self._items.get(key)
            if found is None:
                return None
            body, valid_until = found
            if valid_until is not None and now >= valid_until:
                del self._items[key]
                return None
            self._items.move_to_end(key)
            return body

    def put(self, key: tuple, body: str, valid_until: datetime | None) -> None:
        if self.entries <= 0:
            return
        with self._lock:
            self._items[key] = (body, valid_until)
            self._items.move_to_end(key)
            while len(self._items) > self.entries:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


def page_cache() -> PageCache:
    cache = current_app.extensions.get(EXTENSION)
    if cache is None:
        cache = current_app.extensions[EXTENSION] = PageCache(
            current_app.config.get("PAGE_CACHE_ENTRIES", DEFAULT_ENTRIES))
    return cache


def _request_key(now: datetime) -> tuple | None:
    """Everything the answer is made from (see the module's docstring), or None: not to be cached."""
    if session.get("_flashes"):
        return None
    generate_csrf()  # the session's CSRF secret exists before it is part of the key (the page carries a token)
    secret = hashlib.sha256(str(session.get("csrf_token", "")).encode()).hexdigest()
    centre = g.centre
    return (request.endpoint, centre.id, centre.data_version, centre.name, centre.slug,
            current_user.id, current_user.name, current_user.is_quality_contact, secret,
            bool(htmx) and not htmx.history_restore_request, tuple(sorted(request.args.items(multi=True))),
            to_london(now).date())


def cached(now: datetime, make: Callable[[], tuple[str, datetime | None]]) -> str:
    """The answer to this request: reused if one was made from the same things and is still valid, else made by
    `make` — (body, the moment it stops being true, or None) — and kept."""
    cache = page_cache()
    key = _request_key(now) if cache.entries > 0 else None
    if key is not None:
        body = cache.get(key, now)
        if body is not None:
            return body
    body, valid_until = make()
    if key is not None:
        cache.put(key, body, valid_until)
    return body
