// SMSFactor's list, blacklist and NPAI routes (reference §4) over real HTTP, in
// JSON and XML: the reference's field names and types, errors as HTTP 200 with a
// negative status, tenancy (-5), and the same lists as /v1 shows.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestApi, type TestApi } from "./harness";
import { elements, smsfactorClient } from "./smsfactor-client";

let t: TestApi;
beforeAll(async () => {
  t = await startTestApi();
});
afterAll(() => t?.stop());

const FAST = { apiRateLimit: 10_000 };

async function account() {
  const created = await t.newAccount({ ...FAST });
  return { ...created, sf: smsfactorClient(t.api.url, created.token) };
}

function expectError(answer: { http: number; body: unknown }, status: number) {
  expect(answer.http).toBe(200);
  expect(answer.body).toMatchObject({ status, message: expect.any(String), details: expect.any(String) });
}

const LOUIS = { value: "33612345678", info1: "Louis", info2: "de Broglie", info3: "1892", info4: "Dieppe" };
const RICHARD = {
  value: "33612345677",
  info1: "Richard",
  info2: "Feynman",
  info3: "1918",
  info4: "New-York",
};

describe("POST /list", () => {
  it("creates a list (JSON): contacts, invalid, duplicates and a string id; /v1 sees its contacts", async () => {
    const { sf, client } = await account();
    const { body } = await sf.json("POST", "/list", {
      list: {
        name: "My list",
        contacts: { gsm: [LOUIS, RICHARD, { value: "0799175425x" }, { ...LOUIS, info1: "L." }] },
      },
    });
    expect(body).toEqual({
      status: 1,
      message: "OK",
      contacts: 2,
      invalid: 1,
      duplicates: 1,
      id: expect.stringMatching(/^cl_/),
    });
    const v1 = await client.contactLists.get(body.id);
    expect(v1.body.data.attributes).toMatchObject({ name: "My list", contact_count: 2 });
    const contacts = await client.contactLists.contacts(body.id);
    expect(contacts.body.data).toEqual([
      expect.objectContaining({
        number: "+33612345677",
        fields: { info1: "Richard", info2: "Feynman", info3: "1918", info4: "New-York" },
      }),
      expect.objectContaining({
        number: "+33612345678",
        fields: { info1: "L.", info2: "de Broglie", info3: "1892", info4: "Dieppe" },
      }),
    ]);
  });

  it("creates a list from XML (<gsm><value>…) and adds contacts with listId (<gsm info1=…>…)", async () => {
    const { sf, client } = await account();
    const created = await sf.xml(
      "POST",
      "/list",
      `<?xml version="1.0" encoding="UTF-8"?><list><name>Liste API</name><contacts><gsm><value>33612345678</value><info1>Louis</info1><info2>de Broglie</info2></gsm><gsm><value>33612345677</value><info1>Richard</info1></gsm></contacts></list>`,
    );
    expect(created.response).toMatchObject({
      status: "1",
      message: "OK",
      contacts: "2",
      invalid: "0",
      duplicates: "0",
      id: expect.stringMatching(/^cl_/),
    });
    const id = created.response.id as string;
    const added = await sf.xml(
      "POST",
      "/list",
      `<list><listId>${id}</listId><contacts><gsm info1="Hiroo" info2="Onoda">33612345676</gsm><gsm info1="Hedy" info2="Lamarr" info3="Extase" info4="1933">33612345675</gsm></contacts></list>`,
    );
    expect(added.response).toMatchObject({ status: "1", contacts: "2", id });
    const contacts = await client.contactLists.contacts(id);
    expect(contacts.body.data.map((c) => [c.number, c.fields])).toEqual([
      ["+33612345675", { info1: "Hedy", info2: "Lamarr", info3: "Extase", info4: "1933" }],
      ["+33612345676", { info1: "Hiroo", info2: "Onoda" }],
      ["+33612345677", { info1: "Richard" }],
      ["+33612345678", { info1: "Louis", info2: "de Broglie" }],
    ]);
  });

  it("adds contacts by listId (JSON, also list_id): a number already there is a duplicate, its fields replaced", async () => {
    const { sf, client } = await account();
    const id = (await sf.json("POST", "/list", { list: { name: "L", contacts: { gsm: [LOUIS] } } })).body.id;
    const added = await sf.json("POST", "/list", {
      list: {
        listId: id,
        contacts: { gsm: [{ value: "33612345678", info1: "Hiroo" }, { value: "+33612345676" }] },
      },
    });
    expect(added.body).toEqual({ status: 1, message: "OK", contacts: 1, invalid: 0, duplicates: 1, id });
    const alias = await sf.json("POST", "/list", { list: { list_id: id, contacts: { gsm: [RICHARD] } } });
    expect(alias.body).toMatchObject({ status: 1, contacts: 1, id });
    expect((await client.contactLists.get(id)).body.data.attributes.contact_count).toBe(3);
  });

  it("answers a retry with the same Idempotency-Key with the first answer, making one list", async () => {
    const { sf, client } = await account();
    const request = {
      "Content-Type": "application/json",
      body: JSON.stringify({ list: { name: "Once", contacts: { gsm: [LOUIS, RICHARD] } } }),
      headers: { "Idempotency-Key": "list-once" },
    };
    const first = await sf.raw("POST", "/list", request);
    expect(first.body).toMatchObject({ status: 1, contacts: 2 });
    expect((await sf.raw("POST", "/list", request)).body).toEqual(first.body);
    expect((await client.contactLists.list()).body.data.map((list) => list.id)).toEqual([first.body.id]);
  });

  it("refuses bad bodies with the SMSFactor error shape, and an unknown or integer list id with -5", async () => {
    const { sf } = await account();
    expectError(
      await sf.json("POST", "/list", { list: { contacts: { gsm: [{ info1: "no number" }] } } }),
      -7,
    );
    expectError(await sf.json("POST", "/list", { list: { listId: 45190, contacts: { gsm: [LOUIS] } } }), -5);
    expectError(
      await sf.json("POST", "/list", { list: { listId: "cl_nope", contacts: { gsm: [LOUIS] } } }),
      -5,
    );
    expect(
      (
        await sf.xml(
          "POST",
          "/list",
          "<list><listId>50433</listId><contacts><gsm>33612345678</gsm></contacts></list>",
        )
      ).response.status,
    ).toBe("-5");
    expect((await sf.json("GET", "/lists")).body.lists).toEqual([]);
  });
});

describe("GET /lists and GET /list/:id", () => {
  it("lists the account's lists and one list's contacts with search, start and length", async () => {
    const { sf } = await account();
    const gsm = [LOUIS, RICHARD, { value: "33612345676", info1: "Hiroo", info2: "Onoda" }];
    const id = (await sf.json("POST", "/list", { list: { name: "Liste API", contacts: { gsm } } })).body.id;

    const lists = await sf.json("GET", "/lists");
    expect(lists.body).toEqual({
      status: 1,
      message: "OK",
      lists: [
        {
          id,
          name: "Liste API",
          date: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
          count: "3",
        },
      ],
    });
    const listsXml = await sf.xml("GET", "/lists");
    expect(elements(listsXml.response.lists)).toEqual([
      expect.objectContaining({ id, name: "Liste API", count: "3" }),
    ]);

    const all = await sf.json("GET", `/list/${id}`);
    expect(all.body).toEqual({
      status: 1,
      message: "OK",
      list: [
        { id: `${id}:33612345676`, destination: "33612345676", info1: "Hiroo", info2: "Onoda" },
        { id: `${id}:33612345677`, destination: "33612345677", ...withoutValue(RICHARD) },
        { id: `${id}:33612345678`, destination: "33612345678", ...withoutValue(LOUIS) },
      ],
      name: "Liste API",
      contacts: "3",
      totalRecords: 3,
      totalDisplayRecords: 3,
    });
    const window = await sf.json("GET", `/list/${id}?start=1&length=1`);
    expect(window.body.list.map((c: { destination: string }) => c.destination)).toEqual(["33612345677"]);
    const search = await sf.json("GET", `/list/${id}?search=feyn`);
    expect(search.body).toMatchObject({
      totalRecords: 3,
      totalDisplayRecords: 1,
      list: [{ info1: "Richard" }],
    });

    const xml = await sf.xml("GET", `/list/${id}?length=2`);
    expect(xml.response).toMatchObject({ status: "1", name: "Liste API", contacts: "3", totalRecords: "3" });
    expect(elements(xml.response.list)).toEqual([
      { id: `${id}:33612345676`, destination: "33612345676", info1: "Hiroo", info2: "Onoda" },
      expect.objectContaining({ destination: "33612345677", info4: "New-York" }),
    ]);
    expectError(await sf.json("GET", `/list/${id}?length=5000`), -7);
  });
});

function withoutValue({ value: _, ...info }: { value: string } & Record<string, string>) {
  return info;
}

describe("list contacts", () => {
  it("updates a contact's fields (PUT /list/contact/:id) in JSON and XML; /v1 sees them", async () => {
    const { sf, client } = await account();
    const id = (await sf.json("POST", "/list", { list: { name: "L", contacts: { gsm: [LOUIS] } } })).body.id;
    const contactId = `${id}:33612345678`;
    const put = await sf.json("PUT", `/list/contact/${contactId}`, {
      contact: { info1: "Louis-Victor", info4: null },
    });
    expect(put.body).toEqual({
      status: 1,
      message: "OK",
      contact: {
        id: contactId,
        destination: "33612345678",
        info1: "Louis-Victor",
        info2: "de Broglie",
        info3: "1892",
        info4: "",
      },
    });
    const xml = await sf.xml(
      "PUT",
      `/list/contact/${contactId}`,
      "<contact><info2>Broglie</info2></contact>",
    );
    expect(xml.response.contact).toMatchObject({ id: contactId, info1: "Louis-Victor", info2: "Broglie" });
    const [contact] = (await client.contactLists.contacts(id)).body.data;
    expect(contact?.fields).toEqual({ info1: "Louis-Victor", info2: "Broglie", info3: "1892", info4: "" });

    // Not a phone number: -7, nothing changed.
    expectError(await sf.json("PUT", `/list/contact/${contactId}`, { contact: { value: "33600" } }), -7);
    expectError(await sf.json("PUT", `/list/contact/${id}:33612345699`, { contact: { info1: "x" } }), -5);

    // A new number: the same contact (its fields kept, info3 changed) under it.
    const moved = await sf.json("PUT", `/list/contact/${contactId}`, {
      contact: { value: "33612345670", info3: "1929" },
    });
    expect(moved.body.contact).toMatchObject({
      id: `${id}:33612345670`,
      destination: "33612345670",
      info1: "Louis-Victor",
      info3: "1929",
    });
    const renumbered = (await client.contactLists.contacts(id)).body.data;
    expect(renumbered.map((c) => c.number)).toEqual(["+33612345670"]);
    expect((await client.contactLists.get(id)).body.data.attributes.contact_count).toBe(1);

    // A number the list has already: -7, both contacts as they were.
    await sf.json("POST", "/list", { list: { listId: id, contacts: { gsm: [{ value: "33612345671" }] } } });
    expectError(
      await sf.json("PUT", `/list/contact/${id}:33612345670`, { contact: { value: "33612345671" } }),
      -7,
    );
    const both = (await client.contactLists.contacts(id)).body.data;
    expect(both.map((c) => [c.number, c.fields.info3])).toEqual([
      ["+33612345670", "1929"],
      ["+33612345671", undefined],
    ]);
    expect((await client.contactLists.get(id)).body.data.attributes.contact_count).toBe(2);
  });

  it("deletes a contact, then the list (JSON and XML)", async () => {
    const { sf, client } = await account();
    const id = (await sf.json("POST", "/list", { list: { name: "L", contacts: { gsm: [LOUIS, RICHARD] } } }))
      .body.id;
    const first = (await sf.json("GET", `/list/${id}`)).body.list[0].id;
    expect((await sf.json("DELETE", `/list/contact/${first}`)).body).toEqual({ status: 1, message: "OK" });
    expectError(await sf.json("DELETE", `/list/contact/${first}`), -5);
    expect((await sf.xml("DELETE", `/list/contact/${id}:33612345678`)).response).toMatchObject({
      status: "1",
    });
    expect((await client.contactLists.get(id)).body.data.attributes.contact_count).toBe(0);

    expect((await sf.xml("DELETE", `/list/${id}`)).response).toMatchObject({ status: "1", message: "OK" });
    expectError(await sf.json("GET", `/list/${id}`), -5);
    expectError(await sf.json("DELETE", `/list/${id}`), -5);
    expect((await client.contactLists.list()).body.data).toEqual([]);
  });

  it("deduplicates (removed 0: a list holds a number once) and clears the list's NPAI numbers", async () => {
    const { sf, client } = await account();
    const id = (await sf.json("POST", "/list", { list: { name: "L", contacts: { gsm: [LOUIS, RICHARD] } } }))
      .body.id;
    expect((await sf.json("PUT", `/list/deduplicate/${id}`)).body).toEqual({
      status: 1,
      message: "OK",
      removed: 0,
    });
    expect((await sf.xml("PUT", `/list/${id}/deduplicate`)).response).toMatchObject({
      status: "1",
      removed: "0",
    });

    await client.npai.add(["+33612345678"]);
    expect((await sf.json("PUT", `/list/${id}/npai/clear`)).body).toEqual({
      status: 1,
      message: "OK",
      removed: 1,
    });
    expect((await sf.xml("PUT", `/list/${id}/npai/clear`)).response).toMatchObject({
      status: "1",
      removed: "0",
    });
    const contacts = await client.contactLists.contacts(id);
    expect(contacts.body.data.map((c) => c.number)).toEqual(["+33612345677"]);

    expect((await sf.json("DELETE", `/list/${id}`)).body).toEqual({ status: 1, message: "OK" });
    expect((await client.contactLists.list()).body.data).toEqual([]);
  });

  it("keeps another account's list and contacts out of reach (-5), changing nothing", async () => {
    const owner = await account();
    const stranger = await account();
    const id = (await owner.sf.json("POST", "/list", { list: { name: "L", contacts: { gsm: [LOUIS] } } }))
      .body.id;
    const contactId = `${id}:33612345678`;
    expectError(await stranger.sf.json("GET", `/list/${id}`), -5);
    expectError(
      await stranger.sf.json("POST", "/list", { list: { listId: id, contacts: { gsm: [RICHARD] } } }),
      -5,
    );
    expectError(await stranger.sf.json("DELETE", `/list/${id}`), -5);
    expectError(await stranger.sf.json("DELETE", `/list/contact/${contactId}`), -5);
    expectError(await stranger.sf.json("PUT", `/list/contact/${contactId}`, { contact: { info1: "x" } }), -5);
    expectError(await stranger.sf.json("PUT", `/list/deduplicate/${id}`), -5);
    expectError(await stranger.sf.json("PUT", `/list/${id}/npai/clear`), -5);
    expect((await stranger.sf.json("GET", "/lists")).body.lists).toEqual([]);
    const list = await owner.sf.json("GET", `/list/${id}`);
    expect(list.body.list).toEqual([{ id: contactId, destination: "33612345678", ...withoutValue(LOUIS) }]);
  });
});

describe("/blacklist and /npai", () => {
  for (const name of ["blacklist", "npai"] as const) {
    it(`adds (JSON and XML), lists and removes numbers of the ${name}, the same list as /v1/${name}`, async () => {
      const { sf, client } = await account();
      const added = await sf.json("POST", `/${name}`, {
        [name]: { contacts: { gsm: [{ value: "33612345678", info1: "Isaac" }, { value: "33612345677" }] } },
      });
      expect(added.body).toEqual({ status: 1, message: "OK", added_contacts: 2 });
      const xml = await sf.xml(
        "POST",
        `/${name}`,
        `<list><contacts><gsm info1="Howard">33612345676</gsm><gsm>33612345678</gsm></contacts></list>`,
      );
      expect(xml.response).toMatchObject({ status: "1", added_contacts: "1" });
      const v1 = await client[name].list();
      expect(v1.body.data.map((entry) => entry.number).sort()).toEqual([
        "+33612345676",
        "+33612345677",
        "+33612345678",
      ]);

      const listed = await sf.json("GET", `/${name}`);
      expect(listed.body).toMatchObject({
        status: 1,
        message: "OK",
        totalRecords: 3,
        totalDisplayRecords: 3,
      });
      expect(listed.body.list).toHaveLength(3);
      expect(listed.body.list.find((e: { destination: string }) => e.destination === "33612345677")).toEqual({
        id: "33612345677",
        destination: "33612345677",
        date: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
        info1: "",
        info2: "",
        info3: "",
        info4: "",
        user_information: [],
        campaign_id: null,
        batch_id: null,
      });
      const window = await sf.json("GET", `/${name}?start=2&length=5`);
      expect(window.body).toMatchObject({ totalRecords: 3, list: [expect.any(Object)] });
      const listedXml = await sf.xml("GET", `/${name}`);
      expect(elements(listedXml.response.list)).toHaveLength(3);
      expect(listedXml.response.totalRecords).toBe("3");

      expect((await sf.json("DELETE", `/${name}/contact/33612345677`)).body).toEqual({
        status: 1,
        message: "OK",
      });
      expect((await sf.xml("DELETE", `/${name}/contact/33612345676`)).response).toMatchObject({
        status: "1",
      });
      expectError(await sf.json("DELETE", `/${name}/contact/33612345677`), -5);
      expect((await client[name].list()).body.data.map((entry) => entry.number)).toEqual(["+33612345678"]);
    });
  }

  it("reads an XML body under its own root (<npai>) and answers it in JSON on Accept", async () => {
    const { sf, client } = await account();
    const answer = await sf.raw("POST", "/npai", {
      "Content-Type": "application/xml",
      body: "<npai><contacts><gsm><value>33612345678</value><info1>Ada</info1></gsm></contacts></npai>",
    });
    expect(answer.body).toEqual({ status: 1, message: "OK", added_contacts: 1 });
    expect((await client.npai.list()).body.data.map((entry) => entry.number)).toEqual(["+33612345678"]);
    const broken = await sf.raw("POST", "/npai", {
      "Content-Type": "application/xml",
      body: "<npai><contacts>",
    });
    expectError(broken, -2);
  });

  it("refuses a request with an unreadable number (-7), adding nothing; another account's numbers stay apart", async () => {
    const { sf, client } = await account();
    const refused = await sf.json("POST", "/blacklist", {
      blacklist: { contacts: { gsm: [{ value: "33612345678" }, { value: "12" }] } },
    });
    expectError(refused, -7);
    expect(refused.body.details).toMatch(/^blacklist\.contacts\.gsm\.1\.value: /);
    expect((await client.blacklist.list()).body.data).toEqual([]);
    await sf.json("POST", "/blacklist", { blacklist: { contacts: { gsm: [{ value: "33612345678" }] } } });
    const stranger = await account();
    expect((await stranger.sf.json("GET", "/blacklist")).body).toMatchObject({ list: [], totalRecords: 0 });
    expectError(await stranger.sf.json("DELETE", "/blacklist/contact/33612345678"), -5);
    expect((await client.blacklist.list()).body.data).toHaveLength(1);
  });
});
