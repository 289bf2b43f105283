"""HTTP layer: request parsing and error mapping; business logic lives in the services."""
