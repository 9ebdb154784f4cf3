"""OAuth 2.0 and OpenID Connect for mobile apps and internal systems (decision 0009).

`clients`: registering and revoking clients; `codes`: authorization codes; `server`: authlib's
grants plugged into aiohttp and identity's sessions; `pages`: the sign-in page of the
authorization endpoint.
"""
