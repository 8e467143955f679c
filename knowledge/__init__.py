"""What the parser and the matcher both know about medicine, from packaged data files.

* `knowledge.conditions` – the one condition vocabulary (canonical names and
  comparable words, abbreviations, synonyms, broader terms, qualifiers);
* `knowledge.drugs` – drug names, brands and salts to generic names, drug
  classes, dose equivalence;
* `knowledge.measurements` – lab and vital-sign names, and unit conversion;
* `knowledge.icd10` – ICD-10-CM codes and titles.

Below the stages, above the core: imports nothing of the project but
`trialmatch.core`. Every loader is cached: a file is read once per process.
"""
