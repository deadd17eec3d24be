import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from "jose";
import { rawServer } from "./rawServers.js";

/** A local OpenID Connect issuer: discovery document, JWKS, and a signer for test tokens. */
export async function startOidcIssuer() {
  const { publicKey, privateKey } = await generateKeyPair("ES256");
  const jwk = { ...(await exportJWK(publicKey)), kid: "test-key", alg: "ES256", use: "sig" };
  let issuer = "";
  const server = await rawServer((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.url === "/.well-known/openid-configuration") {
      res.end(JSON.stringify({ issuer, jwks_uri: `${issuer}/jwks` }));
    } else if (req.url === "/jwks") {
      res.end(JSON.stringify({ keys: [jwk] }));
    } else {
      res.statusCode = 404;
      res.end("{}");
    }
  });
  issuer = server.url;
  return {
    issuer,
    close: server.close,
    /** A token of this issuer; `overrides` changes any claim, `key` signs with another key. */
    async token(claims: JWTPayload, options: { key?: CryptoKey; expiresIn?: string; alg?: string } = {}) {
      return new SignJWT({ aud: "pims-test", ...claims })
        .setProtectedHeader({ alg: options.alg ?? "ES256", kid: "test-key" })
        .setIssuer(claims.iss ?? issuer)
        .setIssuedAt()
        .setExpirationTime(options.expiresIn ?? "5m")
        .sign(options.key ?? privateKey);
    },
  };
}
