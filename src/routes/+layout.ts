// A client-side app: the light client and the keys live in the browser; nothing renders on a server.
export const ssr = false;
export const prerender = false;
