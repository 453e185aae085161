"""Reference data and the company registry."""

from __future__ import annotations

from django.db import models


class Province(models.Model):
    code = models.CharField("código", max_length=2, primary_key=True)
    name = models.CharField("nombre", max_length=64)

    class Meta:
        ordering = ["name"]
        verbose_name = "provincia"

    def __str__(self) -> str:
        return self.name


class Canton(models.Model):
    """A cantón: the "Ciudad" of the form."""

    code = models.CharField("código", max_length=4, primary_key=True)
    province = models.ForeignKey(Province, on_delete=models.PROTECT, related_name="cantones")
    name = models.CharField("nombre", max_length=64)

    class Meta:
        ordering = ["name"]
        verbose_name = "ciudad (cantón)"
        verbose_name_plural = "ciudades (cantones)"

    def __str__(self) -> str:
        return self.name


class OceType(models.Model):
    name = models.CharField("tipo de OCE", max_length=64, unique=True)
    active = models.BooleanField("activo", default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "tipo de OCE"
        verbose_name_plural = "tipos de OCE"

    def __str__(self) -> str:
        return self.name


class SecurityQuestion(models.Model):
    slot = models.PositiveSmallIntegerField(
        "pregunta de clave", choices=[(1, "1"), (2, "2"), (3, "3")]
    )
    text = models.CharField("pregunta", max_length=128, unique=True)
    active = models.BooleanField("activa", default=True)

    class Meta:
        ordering = ["slot", "text"]
        verbose_name = "pregunta de clave"
        verbose_name_plural = "preguntas de clave"

    def __str__(self) -> str:
        return self.text


class MobileOperator(models.Model):
    code = models.CharField("código", max_length=16, primary_key=True)
    name = models.CharField("operadora", max_length=32)

    class Meta:
        ordering = ["name"]
        verbose_name = "operadora móvil"
        verbose_name_plural = "operadoras móviles"

    def __str__(self) -> str:
        return self.name


class Company(models.Model):
    """A company known to the system (the registry "Consultar" looks into)."""

    ruc = models.CharField("RUC empresa", max_length=13, unique=True)
    razon_social = models.CharField("Razón Social", max_length=200)
    direccion = models.CharField("Dirección de empresa", max_length=300)
    telefono = models.CharField("Teléfono empresa", max_length=16)
    created = models.DateTimeField(auto_now_add=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "empresa"

    def __str__(self) -> str:
        return f"{self.ruc} {self.razon_social}"
