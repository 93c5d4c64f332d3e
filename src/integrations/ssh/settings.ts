// How firebreak reaches hosts: the settings are parsed with the configuration (src/config/ssh.ts).
export {
  DEFAULT_MAX_OUTPUT_BYTES,
  defaultSshSettings,
  type SshSettings,
  sshSecrets,
} from '../../config/ssh.ts';
