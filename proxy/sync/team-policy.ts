/**
 * What the team server shares with the engine about the team policy (issue 19, point 7): the policy
 * document's own parser. The server validates `--team-policy FILE` with exactly the schema engines apply, so a
 * document the server serves is one every engine of the same version accepts (server/ imports proxy/ only
 * through proxy/sync/*).
 */
export { type PolicyDocument, PolicyError, parsePolicy } from '../policy/document.js';
