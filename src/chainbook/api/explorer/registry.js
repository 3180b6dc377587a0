// The governance registry of institutions as the module views show it: an institution by its
// id (its name, linked to its record), and who an account is (the institution holding that
// key, or nobody registered).
//
// Rules kept: a lookup asks the node once per id or address per page (a Registry is made per
// render, so a registration that took effect meanwhile shows on the next render); a lookup
// that fails shows the bare id or address, never a broken page. The names shown are the
// registry's now; what a module judged at the time (a trace holder, an evidence endorser) is
// the module's answer, drawn beside them.

import * as api from "./api.js";
import { accountLink, h, link } from "./dom.js";

export function institutionHref(id) {
  return `#/apps/governance/institution?${new URLSearchParams({ id })}`;
}

export class Registry {
  constructor() {
    this.byId = new Map();
    this.byAddress = new Map();
  }

  // The institution's record (InstitutionView) or null: not registered, or the lookup failed.
  ofId(id) {
    if (!this.byId.has(id)) {
      this.byId.set(id, api.query("governance", "institution", { id })
        .then((a) => a.institution ?? null, () => null));
    }
    return this.byId.get(id);
  }

  // The institution one of whose keys the address is, or null.
  ofAddress(address) {
    if (!address) return Promise.resolve(null);
    if (!this.byAddress.has(address)) {
      this.byAddress.set(address, api.query("governance", "institution", { address })
        .then((a) => a.institution ?? null, () => null));
    }
    return this.byAddress.get(address);
  }

  // "Name (id)" linked to the registry record; "revoked" marked.
  async institution(id) {
    const record = await this.ofId(id);
    return institutionNode(id, record);
  }

  // An account as a person reads it: the institution's name when it is one's key, then the
  // address; `unregistered` labels an account that is no institution's key.
  async party(address, { unregistered = "" } = {}) {
    const record = await this.ofAddress(address);
    return h("span", { class: "party" },
      record ? [institutionNode(record.id, record), " "] : unregistered ? [h("span", { class: "muted" }, unregistered), " "] : null,
      accountLink(address));
  }
}

export function institutionNode(id, record) {
  return h("span", { class: "institution" },
    link(institutionHref(id), record?.name ? `${record.name} (${id})` : id),
    record?.status === "revoked" ? [" ", h("span", { class: "badge failed" }, `revoked at ${record.revoked_height}`)] : null);
}
