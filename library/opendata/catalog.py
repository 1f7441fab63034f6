"""The DCAT-AP.de catalogue of the library's open data, as JSON-LD with an inline `@context`.

It describes the utilisation dataset with its CSV distribution and the SensorThings API as a
`dcat:DataService`; GovData and the city's portal harvest it. The publisher, its contact point
and the political geocoding are the town's (`Publisher`); another town passes its own.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

DCAT_CONTEXT: dict[str, str] = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "dcatde": "http://dcat-ap.de/def/dcatde/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "vcard": "http://www.w3.org/2006/vcard/ns#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
}
LICENCE = "http://dcat-ap.de/def/licenses/dl-zero-de/2.0"  # Datenlizenz Deutschland – Zero – 2.0
THEMES = "http://publications.europa.eu/resource/authority/data-theme/"
FILE_TYPES = "http://publications.europa.eu/resource/authority/file-type/"
STA_SPEC = "http://www.opengis.net/doc/is/sensorthings/1.1"


@dataclass(frozen=True)
class Publisher:
    """Who publishes the data and for which place (DCAT-AP.de political geocoding)."""

    name: str
    uri: str
    contact_name: str
    contact_url: str
    regional_key: str
    themes: tuple[str, ...]


ULM = Publisher(
    name="Stadt Ulm",
    uri="https://www.ulm.de",
    contact_name="Stadtbibliothek Ulm",
    contact_url="https://stadtbibliothek.ulm.de",
    regional_key="084210000000",
    themes=("EDUC", "SOCI"),
)


def _text(german: str, english: str) -> list[dict[str, str]]:
    return [{"@value": german, "@language": "de"}, {"@value": english, "@language": "en"}]


def catalogue(base_url: str, publisher: Publisher = ULM) -> dict[str, Any]:
    """The catalogue document; every URL of this service is absolute from `base_url`."""
    organisation = {"@id": publisher.uri, "@type": "foaf:Organization", "foaf:name": publisher.name}
    contact = {
        "@type": "vcard:Organization",
        "vcard:fn": publisher.contact_name,
        "vcard:hasURL": {"@id": publisher.contact_url},
    }
    geocoding = {
        "dcatde:politicalGeocodingURI": {
            "@id": f"http://dcat-ap.de/def/politicalGeocoding/regionalKey/{publisher.regional_key}"
        },
        "dcatde:politicalGeocodingLevelURI": {
            "@id": "http://dcat-ap.de/def/politicalGeocodingLevel/municipality"
        },
    }
    licence = {"@id": LICENCE}
    csv_url = f"{base_url}/opendata/utilisation.csv"
    sta_url = f"{base_url}/sta/v1.1"
    dataset = {
        "@id": f"{base_url}/opendata/datasets/utilisation",
        "@type": "dcat:Dataset",
        "dct:identifier": f"{base_url}/opendata/datasets/utilisation",
        "dct:title": _text("Auslastung der Bibliotheksangebote", "Utilisation of the library's offers"),
        "dct:description": _text(
            "Je Tag, Standort, Faktor und Art: geöffnete, gebuchte und genutzte Minuten, Buchungen, "
            "nicht wahrgenommene Buchungen. Nur Zählungen, keine personenbezogenen Daten.",
            "Per day, location, factor and kind: open, booked and used minutes, bookings, no-shows. "
            "Counts only, no personal data.",
        ),
        "dcat:theme": [{"@id": f"{THEMES}{theme}"} for theme in publisher.themes],
        "dct:publisher": organisation,
        "dcat:contactPoint": contact,
        "dct:accrualPeriodicity": {"@id": "http://publications.europa.eu/resource/authority/frequency/DAILY"},
        "dcat:keyword": ["Bibliothek", "Auslastung", "Smart City"],
        **geocoding,
        "dcat:distribution": [
            {
                "@id": f"{csv_url}#distribution",
                "@type": "dcat:Distribution",
                "dct:title": _text("Auslastung als CSV", "Utilisation as CSV"),
                "dcat:accessURL": {"@id": csv_url},
                "dcat:downloadURL": {"@id": csv_url},
                "dct:format": {"@id": f"{FILE_TYPES}CSV"},
                "dcat:mediaType": {"@id": "https://www.iana.org/assignments/media-types/text/csv"},
                "dct:license": licence,
            }
        ],
    }
    service = {
        "@id": sta_url,
        "@type": "dcat:DataService",
        "dct:title": _text(
            "Sensordaten der Bibliothek (SensorThings API)", "Library sensor data (SensorThings API)"
        ),
        "dct:description": _text(
            "Freie Einheiten, Buchungsanteil und anwesende Personen je Standort und Faktor.",
            "Free units, booked share and people present per location and factor.",
        ),
        "dcat:endpointURL": {"@id": sta_url},
        "dct:conformsTo": {"@id": STA_SPEC},
        "dcat:theme": [{"@id": f"{THEMES}{theme}"} for theme in publisher.themes],
        "dct:publisher": organisation,
        "dcat:contactPoint": contact,
        "dct:license": licence,
        **geocoding,
    }
    return {
        "@context": DCAT_CONTEXT,
        "@id": f"{base_url}/opendata/catalog.jsonld",
        "@type": "dcat:Catalog",
        "dct:title": _text(f"Offene Daten: {publisher.contact_name}", f"Open data: {publisher.contact_name}"),
        "dct:description": _text(
            "Offene Daten der Bibliothek: Auslastung und Sensordaten.",
            "The library's open data: utilisation and sensor data.",
        ),
        "dct:publisher": organisation,
        "dct:license": licence,
        "dct:language": {"@id": "http://publications.europa.eu/resource/authority/language/DEU"},
        "foaf:homepage": {"@id": base_url},
        "dcat:themeTaxonomy": {"@id": "http://publications.europa.eu/resource/authority/data-theme"},
        **geocoding,
        "dcat:dataset": [dataset],
        "dcat:service": [service],
    }
