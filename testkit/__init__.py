"""Everything that is not the product: doubles of AWS that behave like AWS, for the tests, the demo
and the benchmarks. Nothing here is installed into the action's image."""
