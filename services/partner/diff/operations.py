"""Paths, operations, parameters, bodies, responses, headers, security, webhooks and
components of two documents, compared into findings. Schemas are `schemas.SchemaDiff`'s.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from services.partner.diff.models import Finding, Location
from services.partner.diff.refs import Changes, Document, Json, escape
from services.partner.diff.rules import RULES, describe
from services.partner.diff.schemas import Kind, Rel, SchemaDiff, show

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_TEMPLATE = re.compile(r"\{[^}/]*\}")

Ptr = tuple[str, ...]


def pointer(tokens: Iterable[str]) -> str:
    return "".join("/" + escape(str(t)) for t in tokens)


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _templates(paths: dict[str, Any]) -> dict[str, str]:
    """`/pets/{id}` and `/pets/{pet_id}` are one path: matched by their template."""
    return {_TEMPLATE.sub("{}", path): path for path in paths}


def _success(status: str) -> bool:
    return status.startswith("2")


class SpecDiff:
    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old, self.new = Document(old), Document(new)
        self.changes = Changes(self.old, self.new)
        self.schemas = SchemaDiff(self.old, self.new, self.changes)
        self.findings: list[Finding] = []
        self._global_security_same = self.changes.same(old.get("security"), new.get("security"))

    # ---- findings

    def add(self, rule: str, where: Location, detail: str = "") -> None:
        if rule in RULES:
            message = f"{describe(rule)}: {detail}" if detail else describe(rule)
            self.findings.append(
                Finding(rule_id=rule, level=RULES[rule], location=where, message=message)
            )

    def add_schema(self, found: list[Rel], base: Ptr, where: dict[str, Any]) -> None:
        # built without validation (`model_construct`): every field is ours and typed, and a
        # changed shared schema yields thousands of findings
        fields = {
            "path": None,
            "method": None,
            "parameter": None,
            "status": None,
            "media_type": None,
            **where,
        }
        prefix = pointer(base)
        for rel in found:
            location = Location.model_construct(
                pointer=prefix + rel.ptr, property=rel.prop or None, **fields
            )
            self.findings.append(
                Finding.model_construct(
                    rule_id=rel.rule, level=RULES[rel.rule], location=location, message=rel.message
                )
            )

    # ---- the document

    def run(self) -> list[Finding]:
        self._paths()
        self._security(
            self.old.doc.get("security"),
            self.new.doc.get("security"),
            "api-global-security",
            Location(pointer="/security"),
        )
        self._webhooks()
        self._components()
        return self.findings

    def _paths(self) -> None:
        opaths, npaths = _dict(self.old.doc.get("paths")), _dict(self.new.doc.get("paths"))
        otemplates, ntemplates = _templates(opaths), _templates(npaths)
        for template, opath in otemplates.items():
            oitem = _dict(self.old.deref(opaths[opath]))
            npath = ntemplates.get(template)
            if npath is None:
                for method in METHODS:
                    if isinstance(oitem.get(method), dict):
                        self._removed(opath, method, oitem[method], whole_path=True)
                continue
            nitem = _dict(self.new.deref(npaths[npath]))
            if self._global_security_same and self.changes.same(oitem, nitem):
                continue
            for method in METHODS:
                oop, nop = oitem.get(method), nitem.get(method)
                if isinstance(oop, dict) and not isinstance(nop, dict):
                    self._removed(opath, method, oop, whole_path=False)
                elif isinstance(nop, dict) and not isinstance(oop, dict):
                    self._added(npath, method)
                elif isinstance(oop, dict) and isinstance(nop, dict):
                    Operation(self, opath, npath, method, oitem, nitem).compare()
        for template, npath in ntemplates.items():
            if template not in otemplates:
                nitem = _dict(self.new.deref(npaths[npath]))
                for method in METHODS:
                    if isinstance(nitem.get(method), dict):
                        self._added(npath, method)

    def _removed(self, path: str, method: str, op: dict[str, Any], whole_path: bool) -> None:
        kind = "api-path-removed" if whole_path else "api-removed"
        deprecation = "with" if op.get("deprecated") else "without"
        where = Location(pointer=pointer(("paths", path, method)), path=path, method=method)
        self.add(f"{kind}-{deprecation}-deprecation", where, f"{method.upper()} {path}")

    def _added(self, path: str, method: str) -> None:
        where = Location(pointer=pointer(("paths", path, method)), path=path, method=method)
        self.add("endpoint-added", where, f"{method.upper()} {path}")

    def _security(self, old: Json, new: Json, prefix: str, where: Location) -> None:
        def requirements(value: Json) -> dict[tuple[str, ...], dict[str, list[str]]]:
            items = value if isinstance(value, list) else []
            return {tuple(sorted(r)): r for r in items if isinstance(r, dict)}

        oreq, nreq = requirements(old), requirements(new)
        for key in oreq.keys() - nreq.keys():
            self.add(f"{prefix}-removed", where, show(list(key)))
        for key in nreq.keys() - oreq.keys():
            self.add(f"{prefix}-added", where, show(list(key)))
        for key in oreq.keys() & nreq.keys():
            for scheme in key:
                oscopes = set(oreq[key].get(scheme) or ())
                nscopes = set(nreq[key].get(scheme) or ())
                for scope in sorted(nscopes - oscopes):
                    self.add(f"{prefix}-scope-added", where, f"{scheme}: {scope}")
                for scope in sorted(oscopes - nscopes):
                    self.add(f"{prefix}-scope-removed", where, f"{scheme}: {scope}")

    def _webhooks(self) -> None:
        old, new = _dict(self.old.doc.get("webhooks")), _dict(self.new.doc.get("webhooks"))
        for name in old.keys() - new.keys():
            self.add("webhook-removed", Location(pointer=pointer(("webhooks", name))), name)
        for name in new.keys() - old.keys():
            self.add("webhook-added", Location(pointer=pointer(("webhooks", name))), name)

    def _components(self) -> None:
        old, new = _dict(self.old.doc.get("components")), _dict(self.new.doc.get("components"))
        oschemas, nschemas = _dict(old.get("schemas")), _dict(new.get("schemas"))
        for name in sorted(oschemas.keys() - nschemas.keys()):
            where = Location(pointer=pointer(("components", "schemas", name)))
            self.add("api-schema-removed", where, name)
        osec, nsec = _dict(old.get("securitySchemes")), _dict(new.get("securitySchemes"))
        for name in sorted(osec.keys() - nsec.keys()):
            where = Location(pointer=pointer(("components", "securitySchemes", name)))
            self.add("api-security-component-removed", where, name)
        for name in sorted(nsec.keys() - osec.keys()):
            where = Location(pointer=pointer(("components", "securitySchemes", name)))
            self.add("api-security-component-added", where, name)


class Operation:
    """One operation present in both documents."""

    def __init__(
        self,
        spec: SpecDiff,
        opath: str,
        npath: str,
        method: str,
        oitem: dict[str, Any],
        nitem: dict[str, Any],
    ) -> None:
        self.spec, self.method = spec, method
        self.opath, self.npath = opath, npath
        self.oitem, self.nitem = oitem, nitem
        self.old: dict[str, Any] = oitem[method]
        self.new: dict[str, Any] = nitem[method]
        self.base: Ptr = ("paths", npath, method)
        self.where = {"path": npath, "method": method}

    def at(self, tokens: Ptr = (), **extra: Any) -> Location:
        return Location(pointer=pointer(self.base + tokens), **self.where, **extra)

    def compare(self) -> None:
        spec, old, new = self.spec, self.old, self.new
        if not old.get("deprecated") and new.get("deprecated"):
            spec.add("endpoint-deprecated", self.at())
        elif old.get("deprecated") and not new.get("deprecated"):
            spec.add("endpoint-reactivated", self.at())
        oid, nid = old.get("operationId"), new.get("operationId")
        if oid and oid != nid:
            spec.add(
                "api-operation-id-removed",
                self.at(("operationId",)),
                f"{show(oid)} (now {show(nid)})",
            )
        elif nid and not oid:
            spec.add("api-operation-id-added", self.at(("operationId",)), show(nid))
        otags, ntags = set(old.get("tags") or ()), set(new.get("tags") or ())
        for tag in sorted(otags - ntags):
            spec.add("api-tag-removed", self.at(("tags",)), tag)
        for tag in sorted(ntags - otags):
            spec.add("api-tag-added", self.at(("tags",)), tag)
        self._parameters()
        self._request_body()
        self._responses()
        if "security" in old or "security" in new:
            glob = spec.old.doc.get("security"), spec.new.doc.get("security")
            spec._security(
                old.get("security", glob[0]),
                new.get("security", glob[1]),
                "api-security",
                self.at(("security",)),
            )

    # ---- parameters

    def _params(
        self, doc: Document, path: str, item: dict[str, Any], op: dict[str, Any]
    ) -> dict[tuple[str, str], tuple[dict[str, Any], Ptr]]:
        names = _TEMPLATE.findall(path)
        found: dict[tuple[str, str], tuple[dict[str, Any], Ptr]] = {}
        for owner, tokens in ((item, ("paths", path)), (op, ("paths", path, self.method))):
            for index, raw in enumerate(owner.get("parameters") or ()):
                param = _dict(doc.deref(raw))
                where, name = str(param.get("in", "")), str(param.get("name", ""))
                if where == "path" and "{" + name + "}" in names:
                    name = f"#{names.index('{' + name + '}')}"  # renaming is not a change
                elif where == "header":
                    name = name.lower()
                found[(where, name)] = (param, (*tokens, "parameters", str(index)))
        return found

    def _parameters(self) -> None:
        spec = self.spec
        old = self._params(spec.old, self.opath, self.oitem, self.old)
        new = self._params(spec.new, self.npath, self.nitem, self.new)
        for key in old.keys() - new.keys():
            param, ptr = old[key]
            label = f"{param.get('in')}:{param.get('name')}"
            where = Location(pointer=pointer(ptr), parameter=label, **self.where)
            rule = "request-parameter-removed"
            spec.add(rule + ("-with-deprecation" if param.get("deprecated") else ""), where, label)
        for key in sorted(new.keys() - old.keys()):
            param, ptr = new[key]
            label = f"{param.get('in')}:{param.get('name')}"
            where = Location(pointer=pointer(ptr), parameter=label, **self.where)
            if param.get("in") == "path":
                spec.add("new-request-path-parameter", where, label)
            elif param.get("required"):
                spec.add("new-required-request-parameter", where, label)
            else:
                spec.add("new-optional-request-parameter", where, label)
        for key in sorted(old.keys() & new.keys()):
            (oparam, _), (nparam, ptr) = old[key], new[key]
            if spec.changes.same(oparam, nparam):
                continue
            label = f"{nparam.get('in')}:{nparam.get('name')}"
            where = Location(pointer=pointer(ptr), parameter=label, **self.where)
            if not oparam.get("required") and nparam.get("required"):
                spec.add("request-parameter-became-required", where, label)
            elif oparam.get("required") and not nparam.get("required"):
                spec.add("request-parameter-became-optional", where, label)
            if not oparam.get("deprecated") and nparam.get("deprecated"):
                spec.add("request-parameter-deprecated", where, label)
            elif oparam.get("deprecated") and not nparam.get("deprecated"):
                spec.add("request-parameter-reactivated", where, label)
            oschema, _ = _param_schema(oparam)
            nschema, tail = _param_schema(nparam)
            if oschema is not None and nschema is not None:
                found = spec.schemas.diff(oschema, nschema, Kind.PARAMETER)
                spec.add_schema(found, ptr + tail, {**self.where, "parameter": label})

    # ---- bodies

    def _request_body(self) -> None:
        spec = self.spec
        old = _dict(spec.old.deref(self.old.get("requestBody")))
        new = _dict(spec.new.deref(self.new.get("requestBody")))
        if not old and not new:
            return
        if not old:
            required = "required" if new.get("required") else "optional"
            spec.add(f"request-body-added-{required}", self.at(("requestBody",)))
            return
        if not new:
            spec.add("request-body-removed", self.at(("requestBody",)))
            return
        if not old.get("required") and new.get("required"):
            spec.add("request-body-became-required", self.at(("requestBody",)))
        elif old.get("required") and not new.get("required"):
            spec.add("request-body-became-optional", self.at(("requestBody",)))
        self._content(old, new, ("requestBody",), "request-body", Kind.REQUEST, {})

    def _content(
        self,
        old: dict[str, Any],
        new: dict[str, Any],
        tokens: Ptr,
        subject: str,
        kind: Kind,
        extra: dict[str, Any],
    ) -> None:
        spec = self.spec
        ocontent, ncontent = _dict(old.get("content")), _dict(new.get("content"))
        media_rule = "response-media-type" if kind is Kind.RESPONSE else "request-body-media-type"
        for media in sorted(ocontent.keys() - ncontent.keys()):
            where = self.at((*tokens, "content", media), media_type=media, **extra)
            spec.add(f"{media_rule}-removed", where, media)
        for media in sorted(ncontent.keys() - ocontent.keys()):
            where = self.at((*tokens, "content", media), media_type=media, **extra)
            spec.add(f"{media_rule}-added", where, media)
        for media in sorted(ocontent.keys() & ncontent.keys()):
            omedia, nmedia = _dict(ocontent[media]), _dict(ncontent[media])
            oschema, nschema = omedia.get("schema"), nmedia.get("schema")
            ptr = (*tokens, "content", media, "schema")
            if oschema is None and nschema is not None:
                spec.add(
                    f"{subject}-media-type-schema-added", self.at(ptr, media_type=media, **extra)
                )
            elif oschema is not None and nschema is None:
                spec.add(
                    f"{subject}-media-type-schema-removed", self.at(ptr, media_type=media, **extra)
                )
            elif oschema is not None and nschema is not None:
                found = spec.schemas.diff(oschema, nschema, kind)
                spec.add_schema(
                    found, self.base + ptr, {**self.where, "media_type": media, **extra}
                )

    def _responses(self) -> None:
        spec = self.spec
        old = {str(k): v for k, v in _dict(self.old.get("responses")).items()}
        new = {str(k): v for k, v in _dict(self.new.get("responses")).items()}
        for status in sorted(old.keys() - new.keys()):
            kind = "success" if _success(status) else "non-success"
            spec.add(
                f"response-{kind}-status-removed",
                self.at(("responses", status), status=status),
                status,
            )
        for status in sorted(new.keys() - old.keys()):
            kind = "success" if _success(status) else "non-success"
            spec.add(
                f"response-{kind}-status-added",
                self.at(("responses", status), status=status),
                status,
            )
        for status in sorted(old.keys() & new.keys()):
            oresp, nresp = _dict(spec.old.deref(old[status])), _dict(spec.new.deref(new[status]))
            if spec.changes.same(oresp, nresp):
                continue
            tokens = ("responses", status)
            self._content(oresp, nresp, tokens, "response-body", Kind.RESPONSE, {"status": status})
            self._headers(oresp, nresp, tokens, status)

    def _headers(self, old: dict[str, Any], new: dict[str, Any], tokens: Ptr, status: str) -> None:
        spec = self.spec
        oh = {k.lower(): _dict(spec.old.deref(v)) for k, v in _dict(old.get("headers")).items()}
        nh = {k.lower(): _dict(spec.new.deref(v)) for k, v in _dict(new.get("headers")).items()}
        for name in sorted(oh.keys() - nh.keys()):
            rule = "required" if oh[name].get("required") else "optional"
            spec.add(
                f"{rule}-response-header-removed",
                self.at((*tokens, "headers", name), status=status),
                name,
            )
        for name in sorted(nh.keys() - oh.keys()):
            spec.add(
                "response-header-added", self.at((*tokens, "headers", name), status=status), name
            )
        for name in sorted(oh.keys() & nh.keys()):
            where = self.at((*tokens, "headers", name), status=status)
            if oh[name].get("required") and not nh[name].get("required"):
                spec.add("response-header-became-optional", where, name)
            oschema, nschema = oh[name].get("schema"), nh[name].get("schema")
            if oschema is not None and nschema is not None:
                found = spec.schemas.diff(oschema, nschema, Kind.HEADER)
                spec.add_schema(
                    found,
                    (*self.base, *tokens, "headers", name, "schema"),
                    {**self.where, "status": status},
                )


def _param_schema(param: dict[str, Any]) -> tuple[Json, Ptr]:
    if "schema" in param:
        return param["schema"], ("schema",)
    for media, body in _dict(param.get("content")).items():
        if isinstance(body, dict) and "schema" in body:
            return body["schema"], ("content", media, "schema")
    return None, ()
