export {
  bearerToken,
  type KubernetesEndpoint,
  type KubernetesSettings,
  kubernetesEndpoint,
  SERVICE_ACCOUNT_DIR,
  tokenOrFile,
} from './endpoint.ts';
