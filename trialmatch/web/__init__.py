"""The review web page: coordinators log in, work through their sites' matches, decide, export.

Server-rendered pages (Starlette, Jinja2 with autoescaping, served by
uvicorn), no script. The modules:

* `app` – the application: routes, security headers, the page wrapper that
  opens the database for one request, finds the session, checks CSRF and
  turns errors into plain pages that name no patient fact;
* `passwords` – argon2 hashes; `sessions` – signed session cookies, idle
  expiry; `throttle` – login attempts limited per account and per address;
  `csrf` – the token every form carries;
* `pairs` – a pair evaluated again on the spot with its answers, and
  written back;
* `pages_login`, `pages_lists`, `pages_match`, `pages_records` – the pages;
  `exports` – the filtered list as CSV and XLSX;
* `templates/`, `static/` – shipped in the package.
"""

from __future__ import annotations
