// @ts-check
// An example berth config: Kamal's deploy.yml structure as a JavaScript object. This one targets the
// local lab (`npm run lab:start`): three hosts on loopback and a registry at 127.0.1.10:5000.
const lab = process.env.BERTH_LAB_DIR ?? '/tmp/berth-lab'
const net = process.env.BERTH_LAB_NET ?? '127.0.1' // the lab's address block

/** @type {import('./lib/config/types.ts').DeployConfig} */
export default {
  service: 'demo',
  image: 'demo/app',
  ssh: {
    user: 'root',
    // The lab's key, known_hosts and host-key checking live in this ssh config file.
    config: `${lab}/ssh_config`,
  },
  accessories: {
    db: {
      image: `${net}.10:5000/postgres:16`,
      hosts: [`${net}.11`, `${net}.12`],
      env: { clear: { POSTGRES_USER: 'demo' }, secret: ['POSTGRES_PASSWORD'] },
      directories: ['data:/var/lib/postgresql/data'],
    },
    cache: {
      image: `${net}.10:5000/redis:7`,
      host: `${net}.13`,
      cmd: 'sh -c "trap \'exit 0\' TERM; sleep infinity & wait"',
      options: { memory: '64m' },
    },
    search: {
      image: `${net}.10:5000/search:1`,
      hosts: [`${net}.11`, `${net}.12`, `${net}.13`],
      volumes: ['demo-search:/data'],
    },
  },
}
