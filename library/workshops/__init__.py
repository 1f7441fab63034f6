"""Workshops: sessions, fair sign-up (waitlist and lottery), attendance, certifications."""
