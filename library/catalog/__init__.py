"""The catalogue: locations and their hours, resources, units, and the five factors."""
