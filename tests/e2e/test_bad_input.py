"""Bad input in the Flask example's forms, in Spanish: each error next to its field, in the
user's language, and what was typed kept (never a password)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from portalkit.demo import DEMO_PASSWORD


def _spanish(page: Page, base: str) -> None:
    """Choose Spanish with the language switcher (the choice is kept in a cookie)."""
    page.goto(base + "/login")
    page.get_by_label("Language").select_option("es")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "es")


def test_sign_in_keeps_the_identifier_not_the_password(page: Page, flask_server: str) -> None:
    _spanish(page, flask_server)
    page.get_by_label("Correo electrónico o teléfono").fill("ann@cityfleet.example")
    page.get_by_label("Contraseña").fill("not-the-password-at-all")
    page.get_by_role("button", name="Iniciar sesión").click()
    expect(page.get_by_role("alert")).to_have_text("Los datos de acceso no son correctos.")
    expect(page.get_by_label("Correo electrónico o teléfono")).to_have_value(
        "ann@cityfleet.example"
    )
    expect(page.get_by_label("Contraseña")).to_have_value("")


def test_registration_errors_by_field(page: Page, flask_server: str) -> None:
    _spanish(page, flask_server)
    page.goto(flask_server + "/register")
    page.get_by_label("Teléfono de la empresa").fill("abc")
    page.get_by_label("Correo electrónico").fill("someone@example.com")
    page.get_by_label("Código postal").fill("!!")
    page.get_by_role("button", name="Continuar").click()
    expect(page.locator("#phone-error")).to_have_text("Introduce un número de teléfono válido.")
    expect(page.locator("#postal_code-error")).to_have_text("Introduce un código postal válido.")
    expect(page.get_by_label("Teléfono de la empresa")).to_have_value("abc")
    expect(page.get_by_label("Teléfono de la empresa")).to_have_attribute("aria-invalid", "true")
    # A screen reader reads the error with the field.
    expect(page.get_by_label("Teléfono de la empresa")).to_have_accessible_description(
        "Introduce un número de teléfono válido."
    )
    expect(page.get_by_label("Correo electrónico")).to_have_value("someone@example.com")
    expect(page.get_by_label("Código postal")).to_have_value("!!")


def test_reset_code_and_password_errors(page: Page, flask_server: str) -> None:
    _spanish(page, flask_server)
    page.goto(flask_server + "/reset")
    page.get_by_label("Correo electrónico").fill("nobody@example.com")
    page.get_by_role("button", name="Enviar código").click()
    page.get_by_label("Código del correo").fill("12")
    page.get_by_label("Nueva contraseña").fill("short")
    page.get_by_label("Confirma la contraseña").fill("other")
    page.get_by_role("button", name="Cambiar contraseña").click()
    expect(page.locator(".field-error").first).to_be_visible()
    errors = page.locator(".field-error").all_inner_texts()
    assert {"Usa al menos 15 caracteres.", "Las contraseñas no coinciden."} <= set(errors), errors
    expect(page.get_by_label("Código del correo")).to_have_value("12")
    expect(page.get_by_label("Nueva contraseña")).to_have_value("")


def test_meter_reading_error_keeps_the_reading(page: Page, flask_server: str) -> None:
    _spanish(page, flask_server)
    page.get_by_label("Correo electrónico o teléfono").fill("ann@cityfleet.example")
    page.get_by_label("Contraseña").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Iniciar sesión").click()
    page.get_by_label("Número de activo o matrícula").fill("CF-100")
    page.get_by_role("button", name="Continuar").click()
    page.get_by_label("Lectura", exact=True).fill("mucho")
    page.get_by_role("button", name="Añadir lectura del contador").click()
    expect(page.locator("#value-error")).to_have_text("Introduzca un número.")
    expect(page.get_by_label("Lectura", exact=True)).to_have_value("mucho")
