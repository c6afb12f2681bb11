/** The engine's version, recorded in every manifest. */
export const COFRE_VERSION = '0.1.0';
