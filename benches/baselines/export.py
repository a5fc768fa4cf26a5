#!/usr/bin/env python3
"""Export an `alumni-match-tools gen` dataset as flat TSV files for the full-text baselines.

    export.py --data DIR --out DIR [--taxonomy data/taxonomy/skills.tsv]

Reads DIR/alumni.jsonl and DIR/opportunities.jsonl and writes:

docs.tsv     id, contact_allowed (0/1), rehire_eligible (0/1), open_to (comma-separated
             kinds, may be empty), text
queries.tsv  id, kind, text  (open opportunities only)

The alumnus text is the text alumni-match indexes (src/index/mod.rs, `AlumniIndex::document`):
headline; every skill name, plus its canonical taxonomy name when that differs; for every
position the title, description, department and organisation; the interests statement and
topics. The departure (date, reason) is never exported, and neither are name, preferences,
languages or engagement, which are not indexed.

The query text is what `RetrievalQuery::for_opportunity` turns into terms, in its weight
order (required skills and their canonical names 3.0, title 2.0, preferred skills and their
canonical names 1.5, department 0.8, seniority 0.5, description 0.5), so that the first N
distinct words of the text are the N heaviest terms, as in alumni-match (which keeps 64).

The gates are exported as raw fields and applied by every baseline as alumni-match does
(`Alumnus::passes_gates`): contact allowed, the opportunity's kind in open_to, and for
REHIRE rehire eligibility. Closed opportunities are not queries.

Tabs, newlines and carriage returns inside text become spaces; parts are joined with " ".
"""

import argparse
import json
import os
import sys
import time
import unicodedata

KINDS = ("rehire", "referral", "mentoring", "partnership")


def normalize(text):
    """Mirror of src/taxonomy `normalize`: NFKC, lower case, single spaces, trimmed."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return " ".join(folded.split())


class Taxonomy:
    """Mirror of src/taxonomy `Taxonomy::parse` / `canonical_skill` (display name only)."""

    def __init__(self, path):
        self.aliases = {}
        self.names = []
        if not path:
            return
        with open(path, encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if line.startswith("#") or not line.strip():
                    continue
                columns = line.split("\t")
                name = columns[0].strip()
                sid = len(self.names)
                self.names.append(name)
                self.aliases.setdefault(normalize(name), sid)
                aliases = columns[1] if len(columns) > 1 else ""
                for alias in aliases.split("|"):
                    alias = normalize(alias)
                    if alias:
                        self.aliases.setdefault(alias, sid)

    def canonical_display(self, raw):
        sid = self.aliases.get(normalize(raw))
        if sid is None:
            return raw.strip()
        return self.names[sid]


def clean(text):
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def alumnus_text(a, taxonomy):
    parts = [a.get("headline", "")]
    for skill in a.get("skills", []) or []:
        name = skill.get("name", "")
        parts.append(name)
        canonical = taxonomy.canonical_display(name)
        if canonical != name.strip():
            parts.append(canonical)
    for p in a.get("positions", []) or []:
        parts.append(p.get("title", ""))
        parts.append(p.get("description", ""))
        parts.append(p.get("department", ""))
        parts.append(p.get("organization", ""))
    interests = a.get("interests", {}) or {}
    parts.append(interests.get("statement", ""))
    parts.extend(interests.get("topics", []) or [])
    return clean(" ".join(p for p in parts if p))


def skill_and_canonical(skill, taxonomy):
    # alumni-match adds both; the repeat would not change its distinct terms.
    canonical = taxonomy.canonical_display(skill)
    return [skill] if canonical == skill.strip() else [skill, canonical]


def query_text(o, taxonomy):
    parts = []
    for skill in o.get("required_skills", []) or []:
        parts += skill_and_canonical(skill, taxonomy)
    parts.append(o.get("title", ""))
    for skill in o.get("preferred_skills", []) or []:
        parts += skill_and_canonical(skill, taxonomy)
    parts.append(o.get("department", ""))
    parts.append(o.get("seniority", ""))
    parts.append(o.get("description", ""))
    return clean(" ".join(p for p in parts if p))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_taxonomy = os.path.normpath(os.path.join(here, "..", "..", "data", "taxonomy", "skills.tsv"))
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="directory with alumni.jsonl and opportunities.jsonl")
    ap.add_argument("--out", required=True, help="directory for docs.tsv and queries.tsv")
    ap.add_argument("--taxonomy", default=default_taxonomy,
                    help="skill alias table for canonical names ('' to skip); default %(default)s")
    args = ap.parse_args()

    started = time.monotonic()
    taxonomy = Taxonomy(args.taxonomy)
    os.makedirs(args.out, exist_ok=True)
    stats = {"docs": 0, "doc_text_bytes": 0, "queries": 0, "closed_skipped": 0,
             "eligible": {k: 0 for k in KINDS}, "queries_by_kind": {k: 0 for k in KINDS},
             "taxonomy_skills": len(taxonomy.names)}

    with open(os.path.join(args.data, "alumni.jsonl"), encoding="utf-8") as src, \
            open(os.path.join(args.out, "docs.tsv"), "w", encoding="utf-8", newline="\n") as out:
        out.write("id\tcontact_allowed\trehire_eligible\topen_to\ttext\n")
        for line in src:
            if not line.strip():
                continue
            a = json.loads(line)
            contact = bool((a.get("consent") or {}).get("contact_allowed", False))
            rehire = bool((a.get("departure") or {}).get("rehire_eligible", False))
            open_to = [k for k in KINDS if k in ((a.get("interests") or {}).get("open_to") or [])]
            for k in open_to:
                if contact and (k != "rehire" or rehire):
                    stats["eligible"][k] += 1
            text = alumnus_text(a, taxonomy)
            out.write(f"{clean(a['id'])}\t{int(contact)}\t{int(rehire)}\t{','.join(open_to)}\t{text}\n")
            stats["docs"] += 1
            stats["doc_text_bytes"] += len(text.encode("utf-8"))

    with open(os.path.join(args.data, "opportunities.jsonl"), encoding="utf-8") as src, \
            open(os.path.join(args.out, "queries.tsv"), "w", encoding="utf-8", newline="\n") as out:
        out.write("id\tkind\ttext\n")
        for line in src:
            if not line.strip():
                continue
            o = json.loads(line)
            if o.get("status", "open") != "open":
                stats["closed_skipped"] += 1
                continue
            kind = o["kind"]
            if kind not in KINDS:
                sys.exit(f"unknown kind {kind!r} in {o['id']}")
            out.write(f"{clean(o['id'])}\t{kind}\t{query_text(o, taxonomy)}\n")
            stats["queries"] += 1
            stats["queries_by_kind"][kind] += 1

    stats["seconds"] = round(time.monotonic() - started, 3)
    print(json.dumps(stats), file=sys.stderr)


if __name__ == "__main__":
    main()
