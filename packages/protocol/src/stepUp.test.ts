import { describe, expect, it } from "vitest";
import { ACR, acrOf, factorsOf, formatStepUpChallenge, parseWwwAuthenticate, readStepUpChallenge } from "./stepUp.js";

describe("WWW-Authenticate parsing (RFC 9110 §11.6.1)", () => {
  it("reads RFC 9470 §3's two examples", () => {
    // Header folding in the RFC's layout is one line on the wire: the continuation becomes spaces.
    const acr =
      'Bearer error="insufficient_user_authentication", error_description="A different authentication level is required", acr_values="myACR"';
    expect(parseWwwAuthenticate(acr)).toEqual([
      {
        scheme: "Bearer",
        params: {
          error: "insufficient_user_authentication",
          error_description: "A different authentication level is required",
          acr_values: "myACR",
        },
      },
    ]);
    const maxAge =
      'Bearer error="insufficient_user_authentication", error_description="More recent authentication is required", max_age="5"';
    expect(readStepUpChallenge(maxAge)).toEqual({
      acrValues: [],
      maxAge: 5,
      description: "More recent authentication is required",
    });
  });

  it("reads RFC 6750 §3's examples and RFC 9110's multi-challenge example", () => {
    expect(parseWwwAuthenticate('Bearer realm="example"')).toEqual([
      { scheme: "Bearer", params: { realm: "example" } },
    ]);
    expect(
      parseWwwAuthenticate(
        'Bearer realm="example", error="invalid_token", error_description="The access token expired"',
      ),
    ).toEqual([
      {
        scheme: "Bearer",
        params: { realm: "example", error: "invalid_token", error_description: "The access token expired" },
      },
    ]);
    expect(
      parseWwwAuthenticate('Newauth realm="apps", type=1, title="Login to \\"apps\\"", Basic realm="simple"'),
    ).toEqual([
      { scheme: "Newauth", params: { realm: "apps", type: "1", title: 'Login to "apps"' } },
      { scheme: "Basic", params: { realm: "simple" } },
    ]);
    expect(parseWwwAuthenticate("Basic dXNlcjpwYXNz, Bearer")).toEqual([
      { scheme: "Basic", params: { token68: "dXNlcjpwYXNz" } },
      { scheme: "Bearer", params: {} },
    ]);
  });

  it("finds no step-up challenge where there is none", () => {
    for (const header of [undefined, null, "", "Bearer", 'Bearer error="invalid_token"', 'Basic realm="x"']) {
      expect(readStepUpChallenge(header), String(header)).toBeUndefined();
    }
  });
});

describe("Pims' step-up challenge", () => {
  it("round-trips through its own parser, quoting what needs it", () => {
    const header = formatStepUpChallenge({
      acrValues: [ACR.possessionAndKnowledge],
      maxAge: 300,
      description: 'say "PIN"',
    });
    expect(header).toBe(
      'Bearer error="insufficient_user_authentication", error_description="say \\"PIN\\"", acr_values="pims:possession+knowledge", max_age="300"',
    );
    expect(readStepUpChallenge(header)).toEqual({
      acrValues: ["pims:possession+knowledge"],
      maxAge: 300,
      description: 'say "PIN"',
    });
  });

  it("maps factors to levels and back", () => {
    expect(acrOf(["possession"])).toBe("pims:possession");
    expect(acrOf(["possession", "knowledge"])).toBe("pims:possession+knowledge");
    expect(factorsOf(ACR.possessionAndKnowledge)).toEqual(["possession", "knowledge"]);
    expect(factorsOf(ACR.possession)).toEqual(["possession"]);
  });
});
