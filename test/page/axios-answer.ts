import { AxiosError, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';

/** What a fake axios adapter answers: the response, or (status ≥ 400) the AxiosError axios' own adapters reject with. */
export function axiosAnswer(
  config: InternalAxiosRequestConfig,
  status: number,
  data: unknown,
  headers: Record<string, string> = {},
): AxiosResponse {
  const response: AxiosResponse = { data, status, statusText: String(status), headers, config, request: {} };
  if (status >= 400)
    throw new AxiosError(
      `Request failed with status code ${status}`,
      AxiosError.ERR_BAD_REQUEST,
      config,
      {},
      response,
    );
  return response;
}
