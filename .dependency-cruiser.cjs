// The dependency rule from ARCHITECTURE.md: each layer may import only the layers listed for it.
// core -> nothing internal; net -> core; light -> core, net; client -> core, light;
// ui -> core, light, client; node -> core, net; routes -> ui, client, light, core.
const layer = (name) => `^src/lib/${name}/`;
const allowed = {
  core: [],
  net: ['core'],
  light: ['core', 'net'],
  client: ['core', 'light'],
  ui: ['core', 'light', 'client']
};
const internal = ['core', 'net', 'light', 'client', 'ui'];

const layerRules = Object.entries(allowed).map(([from, ok]) => ({
  name: `${from}-imports-only-${ok.join('-') || 'nothing'}`,
  severity: 'error',
  from: { path: layer(from) },
  to: {
    path: `^src/(lib/(${internal.filter((l) => l !== from && !ok.includes(l)).join('|')})/|node/|routes/)`
  }
}));

module.exports = {
  forbidden: [
    ...layerRules,
    {
      name: 'node-imports-only-core-net',
      severity: 'error',
      from: { path: '^src/node/' },
      to: { path: '^src/(lib/(light|client|ui)/|routes/)' }
    },
    {
      name: 'routes-not-node-or-net',
      severity: 'error',
      from: { path: '^src/routes/' },
      to: { path: '^src/(node/|lib/net/)' }
    },
    {
      name: 'core-is-pure',
      comment: 'core has no I/O: no node:* builtins, no libp2p, no svelte, no idb',
      severity: 'error',
      from: { path: '^src/lib/core/', pathNot: '\\.(test|node)\\.ts$' },
      to: { dependencyTypes: ['core'] }
    },
    {
      name: 'core-no-io-packages',
      severity: 'error',
      from: { path: '^src/lib/core/', pathNot: '\\.(test|node)\\.ts$' },
      to: { path: 'node_modules/(libp2p|@libp2p|svelte|@sveltejs|idb|classic-level)' }
    },
    {
      name: 'no-circular',
      severity: 'error',
      from: {},
      to: { circular: true }
    }
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(\\.svelte-kit|build)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default']
    }
  }
};
