"""The rule expression language: parsed with a strict whitelist, evaluated by our own nodes.

An expression such as ``loudness.integrated_lufs > target.integrated_lufs + margin_lu`` is
parsed with Python's ``ast`` (syntax only) and translated node by node into the small node
types below; anything outside the whitelist is refused with its column. Nothing in a rule
can execute code: values are only numbers, true/false and text, a dotted name is a *key*
looked up in the fact base (never ``getattr``), only the pure functions in ``FUNCTIONS`` can
be called, there are no loops, and the length of an expression is bounded.

Three-valued logic. A descriptor that is undefined (``None``, e.g. stereo width of a mono
file) makes every comparison that uses it *unknown*; ``and`` is false when any part is false,
unknown when any part is unknown, true otherwise; ``or`` is the dual. A rule fires only when
its condition is true, so unknown means "not applicable", never an exception. Internally a
number or truth value is a float (truth: 1.0 / 0.0, unknown: NaN) or, in window scope, a
numpy array of such floats with one element per analysis window; text is ``str`` or None.
numpy is imported only when a window series is evaluated, so loading and validating rules
stays light.
"""
