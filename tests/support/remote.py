"""Where the tests' stand-ins for remote archives live, and the policy that admits them.

The platform refuses to fetch from internal addresses (services/fetch/policy.py). The
tests' SSAP, DataLink, SODA, static-listing and FTP servers therefore listen on 127.0.0.2
(the loopback network is all of 127.0.0.0/8 on Linux), which the platforms the tests start
allow through ``VOCLOUD_FETCH_ALLOW``; 127.0.0.1 (the platform itself, its broker, the
database) stays refused, so the refusal path is tested against real services too.
"""

from services.fetch.policy import FetchPolicy, parse_allow

REMOTE_HOST = "127.0.0.2"
TEST_POLICY = FetchPolicy(allow=parse_allow(REMOTE_HOST))
