"""HQ's web layer, one module per concern; each router declares who may call it (hq.auth).

==================  =========================================  ================================
module              routes                                     access (hq.auth; roles: hq.roles)
==================  =========================================  ================================
sync                POST /api/v1/batches                       device
                    GET /api/v1/stores/{store}/responses       device (own store) or API token
                    GET /api/v1/profile                        device (its store's profile)
                    GET /api/v1/erasures, /api/v1/cases        device (its store's)
                    POST /api/v1/enroll                        public (the code is the key)
analyst_api         /api/v1/responses, /nps, /export,          API token or session, any role
                    /api/v1/profiles/{store}, /api/v1/surveys,
                    /api/v1/devices
                                                               (viewer: own stores)
phone_pages         /m/{store} (GET, POST)                     public (the link is the key)
dashboard           / , GET /account/password                  session, any role
                    POST /logout, /account/password            session + CSRF, any role
                    /login, /static/...                        public
alert_pages         GET /alerts, /deliveries                   session: owner, admin, analyst
                    POST /alerts/...                           session + CSRF: owner, admin
fleet_pages         GET /stores, /stores/{store}, /devices     session, any role (viewer: own)
                    GET /groups/{group}, /surveys...           session: owner, admin, analyst
                    POST /stores/{store}, /groups/{group},     session + CSRF: owner, admin
                    /surveys/draft, /surveys/{form}/publish
admin_pages         /users..., /tokens... (GET)                session: owner
                    POST /users..., /tokens...                 session + CSRF: owner
                    /audit, /audit.csv                         session: owner, admin
case_pages          GET /cases, /cases.csv                     session, any role (viewer: own)
                    POST /cases/{response_id}                  session + CSRF: owner, admin,
                                                               viewer (own stores)
ops                 /healthz                                   public
==================  =========================================  ================================

ARCHITECTURE.md ("HQ's web layer") has the full route x role table; tests/hq/test_access.py
checks it against a real server.
"""

from __future__ import annotations
