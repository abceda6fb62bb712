"""Renderers: they only render an Estimate, they make no pricing decisions."""
