"""Use cases: commands and queries in one transaction each, and the events they emit.

One module per intent: the register (``register``, ``clusters``, ``evidence``), movements and
registrations (``movements``), a file from proposal to review (``proposals``), its assessment
(``assessment``), councils and tallies (``councils``), the head's steps and the decision
(``decisions``), the file as shown (``views``) and reports (``reports``). ``common`` holds what
every use case shares (context, scope, units, emitting); ``steps`` what every step on a file
shares (loading it in scope, a workflow step, storing and announcing the next version)."""
