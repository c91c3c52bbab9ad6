"""Developer and test tools: screenshots, the admin demo, the end-to-end tap driver.

Never shipped: pyproject's package list and build.spec leave tools/ out of the wheel and the
bundle (tests/e2e/test_packaging.py and tests/e2e/test_bundle.py check it).
"""
