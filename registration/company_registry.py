"""Where "Consultar" looks a RUC up.

`CompanyRegistry` is the interface; `LocalCompanyRegistry` answers from the
companies this system already knows (created when a Representante is
activated). A lookup of the SRI taxpayer registry can implement the same
interface later and be returned by `company_registry()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from registration.models import Company


@dataclass(frozen=True)
class CompanyRecord:
    ruc: str
    razon_social: str
    direccion: str
    telefono: str
    source: str


class CompanyRegistry(Protocol):
    def lookup(self, ruc: str) -> CompanyRecord | None: ...


class LocalCompanyRegistry:
    source = "ECUAPASS"

    def lookup(self, ruc: str) -> CompanyRecord | None:
        company = Company.objects.filter(ruc=ruc).first()
        if company is None:
            return None
        return CompanyRecord(
            ruc=company.ruc,
            razon_social=company.razon_social,
            direccion=company.direccion,
            telefono=company.telefono,
            source=self.source,
        )


def company_registry() -> CompanyRegistry:
    return LocalCompanyRegistry()
