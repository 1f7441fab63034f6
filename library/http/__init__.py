"""What the API and the pages share: who is asking, injected dependencies, errors as HTTP answers."""
