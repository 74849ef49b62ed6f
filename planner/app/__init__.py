"""The answers, as a library: resolve, plan and compare one image for one host; fleets."""
