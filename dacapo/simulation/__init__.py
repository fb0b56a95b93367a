"""``dacapo simulate``: a whole campaign played out in virtual time.

Made-up families (``people``) behave by personas (``personas``, ``families``),
staff review, reopen and register wishes (``staff``), through the services the
CLI uses (``services``); the scheduler and the outbox run at virtual instants
(``clockwork``, ``timeline``); ``run`` ties the days together and ``funnel`` and
``summary`` say what happened.
"""
