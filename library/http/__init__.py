"""What the API and the pages share: who is asking, dependencies, a domain error as an HTTP answer."""
