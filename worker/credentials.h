#ifndef WRK_CREDENTIALS_H
#define WRK_CREDENTIALS_H

#include <stddef.h>

struct mg_cred_provider;
struct wrk_settings;

/*
 * Find credentials the way Alibaba Cloud tools do, first match wins:
 *
 *  1. ALIBABA_CLOUD_ACCESS_KEY_ID / _SECRET (and _SECURITY_TOKEN);
 *  2. the Kubernetes RRSA variables (ALIBABA_CLOUD_ROLE_ARN,
 *     ALIBABA_CLOUD_OIDC_PROVIDER_ARN, ALIBABA_CLOUD_OIDC_TOKEN_FILE),
 *     through STS AssumeRoleWithOIDC;
 *  3. a profile of the Alibaba Cloud CLI's config file
 *     (~/.aliyun/config.json, or ALIBABA_CLOUD_CONFIG_FILE; the profile
 *     named by ALIBABA_CLOUD_PROFILE or the file's current one): modes AK,
 *     StsToken, RamRoleArn (STS AssumeRole) and EcsRamRole (instance
 *     metadata).
 *
 * Temporary credentials are refreshed before they expire. STS and the
 * metadata service are reached only at the endpoints the settings
 * sts_endpoint and metadata_endpoint give, never at built-in addresses. Returns
 * NULL with a message when nothing usable is configured.
 */
struct mg_cred_provider *wrk_credentials_find(const struct wrk_settings *s,
                                              char *errbuf, size_t errlen);

#endif
