"""The web admin and the JSON API: pages and routes over the engine and the store's queries."""
