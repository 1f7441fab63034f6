"""Open data for the city: SensorThings observations, DCAT-AP.de catalogue, schema.org events."""
