"""Parses a Prometheus text exposition (stdin) with prometheus_client's parser; prints JSON.

Output: {"families": {name: {"type": str, "samples": [{"name": str, "labels": {..}, "value": float}]}}}
A document the parser rejects exits with status 2 and the parser's message on stderr.
"""
import json
import math
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    text = sys.stdin.read()
    families = {}
    try:
        for family in text_string_to_metric_families(text):
            samples = []
            for sample in family.samples:
                value = sample.value
                samples.append({
                    "name": sample.name,
                    "labels": dict(sample.labels),
                    "value": None if math.isnan(value) else (str(value) if math.isinf(value) else value),
                })
            families[family.name] = {"type": family.type, "samples": samples}
    except Exception as error:  # the parser raises ValueError and others on malformed input
        print(f"unparseable exposition: {error}", file=sys.stderr)
        sys.exit(2)
    json.dump({"families": families}, sys.stdout)


if __name__ == "__main__":
    main()
