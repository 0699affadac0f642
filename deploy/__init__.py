"""Production deployment helpers run inside the image (docker-compose.prod.yml)."""
