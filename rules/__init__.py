"""The built-in knowledge of mixexpert, as YAML data: installed as ``expert.rulebase``.

pyproject.toml maps this folder into the package, so that a wheel carries the rules and
``expert.rules.builtin`` finds them with importlib.resources. Nothing here is code.
"""
