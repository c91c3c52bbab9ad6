"""HQ's web layer, one module per concern; each router declares who may call it (hq.auth).

==================  =========================================  ===========================
module              routes                                     access
==================  =========================================  ===========================
sync                POST /api/v1/batches                       device
                    GET /api/v1/stores/{store}/responses       device (own store) or API
                    POST /api/v1/enroll                        public (the code is the key)
analyst_api         /api/v1/responses, /nps, /export           API token or session
phone_pages         /m/{store} (GET, POST)                     public (the link is the key)
dashboard           /                                          session, else 303 /login
                    /login, /logout, /static/...               public
alert_pages         /alerts..., /deliveries                    session, else 303 /login
ops                 /healthz                                   public
==================  =========================================  ===========================
"""

from __future__ import annotations
