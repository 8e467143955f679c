"""Patients against trials: profiles, anonymisation guard, retrieval, evaluation, referrals.

The stages, in the order the match step runs them:

* `matcher.profiles` – the `PatientProfile` record and its validation;
* `matcher.anonymity` – refuses profiles carrying a direct identifier
  (`matcher.identifiers` finds them in text, with the words of
  `matcher.identifier_words` and ``data/not_names.txt``, ``data/eponyms.txt``);
* `matcher.loaders`, `matcher.csv_loader`, `matcher.fhir` – files to profiles
  (`matcher.icd` resolves ICD-10-CM codes to descriptions);
* `matcher.terms` – condition names, synonyms and abbreviations normalised
  (``data/condition_terms.json``);
* `matcher.candidates` – the in-memory index of recruiting trials;
* `matcher.facts`, `matcher.rules`, `matcher.medication_rules`,
  `matcher.measurement_rules`, `matcher.evaluation` – three-valued criteria,
  groups, verdict and score (`matcher.results` holds the typed results);
  `matcher.plan` compiles a trial's criteria once and memoises rule answers
  per patient;
* `matcher.engine` – the loop over patients and candidates;
* `matcher.referrals` – the CSV, JSON and HTML referral lists;
* `matcher.synthetic` – seeded synthetic patients for the demo and the bench.
"""

from __future__ import annotations
