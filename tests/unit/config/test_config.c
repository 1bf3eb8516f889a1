/* Unit tests of config/: the events Config sends (the reference's
 * documented payloads, every handed case, broken input), the Evaluations
 * text, notices and their round trip, and PutEvaluations. */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "common/buf.h"
#include "common/clock.h"
#include "common/error.h"
#include "config/config.h"
#include "config_tests.h"

CHECK_GLOBALS;

#define ACCOUNT 1698272328540001LL

/* Payloads below are written with ' for " (and \\' for an escaped quote
 * inside JSON text) so that they stay readable. */
static int parse_sq(const char *sq, struct cfg_event *ev, struct mg_error *err)
{
    char *text = strdup(sq);
    char *p;
    int rc;

    for (p = text; *p; p++) {
        if (*p == '\'') {
            *p = '"';
        }
    }
    rc = cfg_event_parse(text, strlen(text), ev, err);
    free(text);
    return rc;
}

/* Parses and fails with MG_INVALID and the given code. */
static void check_refused(const char *sq, const char *code)
{
    struct cfg_event ev;
    struct mg_error err;

    CHECK_INT(parse_sq(sq, &ev, &err), -1);
    CHECK_INT(err.cls, MG_INVALID);
    CHECK_STR(err.code, code);
    CHECK(err.message[0] != '\0');
    CHECK(ev.result_token == NULL && ev.dangerous_actions == NULL);
    cfg_event_release(&ev);
}

/* config-ram-api.md §5.2, the FAQ's RAM-user event ("****" made digits).
 * The FAQ's text lacks the "{" after "AccessKeys": FAQ_KEYS_TYPO. */
#define FAQ_HEAD                                                      \
    "{'invokingEvent':{'messageType':'ScheduledNotification',"        \
    "'notificationCreationTimestamp':1600610821106,"                  \
    "'accountId':1698272328540001,'configurationItem':{"              \
    "'accountId':1698272328540001,'availabilityZone':'',"             \
    "'regionId':'ap-southeast-1','configuration':'{\\'UpdateDate\\':" \
    "\\'2019-10-21T08:02:58Z\\',\\'UserName\\':\\'test123\\',\\'AccessKeys\\':"
#define FAQ_KEYS      "{\\'AccessKey\\':[]},"
#define FAQ_KEYS_TYPO "\\'AccessKey\\':[]},"
#define FAQ_TAIL                                                              \
    "\\'UserId\\':\\'200828888731170001\\',\\'Comments\\':\\'\\',"            \
    "\\'DisplayName\\':\\'test123\\',\\'CreateDate\\':"                       \
    "\\'2019-10-21T07:57:55Z\\',\\'LoginProfile\\':{"                         \
    "\\'PasswordResetRequired\\':false,\\'UserName\\':\\'test123\\',"         \
    "\\'MFABindRequired\\':false,\\'CreateDate\\':"                           \
    "\\'2019-10-21T07:57:55Z\\'}}','captureTime':1600610821106,"              \
    "'resourceCreateTime':1571644675000,'resourceId':'200828888731170001',"   \
    "'resourceName':'test123','resourceType':'ACS::RAM::User','tags':''}},"   \
    "'ruleParameters':{'dangerousActions':'ecs:*,oss:*,log:*'},"              \
    "'resultToken':'HLQr3BZx/C+DLjwudFcYdUsiYzW485CJlYIMAAUjibdHcJhG2uvgKZ9t" \
    "XaFh2yvVUxO2+tFf3whxOmGigYQErk1ymtmLWLzFV4JForVWYIKdbwwhbDBOgVwF7Ov9c3"  \
    "uVCNz/KpxNElwhTzMkZB95U1vmLs4vUYXuB/Txw4jiCYAZuoGWYC/HJwYdSFOHkjAajIsw"  \
    "BuzIbX5qFXfwpaqviNDW3I5q8O+Kx7eSYkqqGTYz1ncQdx3sXNSII/TW0001'}"

static void test_faq_ram_user_event_with_string_configuration(void)
{
    struct cfg_event ev;
    struct mg_error err;

    CHECK_INT(parse_sq(FAQ_HEAD FAQ_KEYS FAQ_TAIL, &ev, &err), 0);
    CHECK_INT(ev.kind, CFG_EVENT_RULE);
    CHECK_STR(ev.message_type, "ScheduledNotification");
    CHECK_INT(ev.has_resource, 1);
    CHECK_STR(ev.res.id, "200828888731170001");
    CHECK_STR(ev.res.name, "test123");
    CHECK_STR(ev.res.type, "ACS::RAM::User");
    CHECK_STR(ev.res.region, "ap-southeast-1");
    CHECK_STR(ev.res.user_name, "test123");
    CHECK(ev.account_id == ACCOUNT && ev.res.account_id == ACCOUNT);
    CHECK(ev.res.capture_ms == 1600610821106LL);
    CHECK(ev.ordering_ms == 1600610821106LL);
    CHECK_INT(ev.has_rule_parameters, 1);
    CHECK_STR(ev.dangerous_actions, "ecs:*,oss:*,log:*");
    CHECK_INT(ev.only_custom, 0);
    CHECK(ev.result_token && strncmp(ev.result_token, "HLQr3BZx/C+", 11) == 0);
    CHECK_INT(strlen(ev.result_token), 256);
    CHECK_STR(ev.request_id, "");
    cfg_event_release(&ev);
    CHECK(ev.result_token == NULL && ev.dangerous_actions == NULL);

    /* As the FAQ prints it: the configuration text does not parse. */
    CHECK_INT(parse_sq(FAQ_HEAD FAQ_KEYS_TYPO FAQ_TAIL, &ev, &err), 0);
    CHECK_STR(ev.res.user_name, "test123");
    CHECK_INT(ev.has_resource, 1);
    cfg_event_release(&ev);
}

static void test_user_name_from_configuration_else_resource_name(void)
{
    struct cfg_event ev;
    struct mg_error err;

    CHECK_INT(parse_sq("{'resultToken':'t','invokingEvent':{'messageType':"
                       "'ConfigurationItemChangeNotification',"
                       "'configurationItem':{'resourceId':'1','resourceName':"
                       "'alice','resourceType':'ACS::RAM::User',"
                       "'configuration':{'UserName':'bob'}}}}",
                       &ev, &err),
              0);
    CHECK_STR(ev.res.user_name, "bob");
    cfg_event_release(&ev);

    CHECK_INT(parse_sq("{'resultToken':'t','invokingEvent':{'messageType':"
                       "'ConfigurationItemChangeNotification',"
                       "'configurationItem':{'resourceId':'1','resourceName':"
                       "'alice','configuration':'{\\'UserName\\':'}}}",
                       &ev, &err),
              0);
    CHECK_STR(ev.res.user_name, "alice");
    cfg_event_release(&ev);

    /* OVERSIZE: Config left the configuration out. */
    CHECK_INT(parse_sq("{'resultToken':'t','invokingEvent':{'messageType':"
                       "'ConfigurationItemChangeNotification',"
                       "'configurationType':'OVERSIZE','configurationItem':{"
                       "'resourceId':'1','resourceName':'carol',"
                       "'resourceType':'ACS::RAM::User','regionId':''}}}",
                       &ev, &err),
              0);
    CHECK_STR(ev.res.user_name, "carol");
    CHECK_STR(ev.res.region, "");
    CHECK_INT(ev.has_resource, 1);
    CHECK_INT(ev.has_rule_parameters, 0);
    CHECK(ev.dangerous_actions == NULL);
    cfg_event_release(&ev);
}

/* Rule requests take invokingEvent, ruleParameters and the item as
 * objects or as JSON text, and ids and timestamps as numbers or text. */
static void test_rule_members_as_json_text_and_numbers_as_strings(void)
{
    struct cfg_event ev;
    struct mg_error err;

    CHECK_INT(
        parse_sq("{'orderingTimestamp':'1733300000000','resultToken':'tok',"
                 "'invokingEvent':'{\\'messageType\\':\\'Manual\\',"
                 "\\'configurationItem\\':{\\'accountId\\':"
                 "\\'1698272328540001\\',\\'resourceId\\':200828888731170001,"
                 "\\'resourceName\\':\\'dave\\',\\'captureTime\\':"
                 "\\'1733300000001\\'}}',"
                 "'ruleParameters':'{\\'dangerousActions\\':\\'ram:*\\',"
                 "\\'only_custom\\':\\'TRUE\\',\\'configRuleName\\':"
                 "\\'mfa-rule\\'}'}",
                 &ev, &err),
        0);
    CHECK_INT(ev.kind, CFG_EVENT_RULE);
    CHECK_STR(ev.message_type, "Manual");
    CHECK(ev.account_id == ACCOUNT);
    CHECK(ev.ordering_ms == 1733300000000LL);
    CHECK(ev.res.capture_ms == 1733300000001LL);
    CHECK_STR(ev.res.id, "200828888731170001");
    CHECK_STR(ev.res.user_name, "dave");
    CHECK_STR(ev.dangerous_actions, "ram:*");
    CHECK_INT(ev.only_custom, 1);
    CHECK_STR(ev.rule_name, "mfa-rule");
    CHECK_STR(ev.result_token, "tok");
    cfg_event_release(&ev);
}

static void check_only_custom(const char *params, int want)
{
    char text[512];
    struct cfg_event ev;
    struct mg_error err;

    snprintf(text, sizeof(text),
             "{'resultToken':'t','invokingEvent':{'messageType':"
             "'ScheduledNotification'},'ruleParameters':%s}",
             params);
    CHECK_INT(parse_sq(text, &ev, &err), 0);
    CHECK_INT(ev.only_custom, want);
    CHECK_INT(ev.has_rule_parameters, 1);
    cfg_event_release(&ev);
}

static void test_rule_parameters_variants(void)
{
    struct cfg_event ev;
    struct mg_error err;

    check_only_custom("{'only_custom':true}", 1);
    check_only_custom("{'only_custom':'tRuE'}", 1);
    check_only_custom("{'onlyCustom':'true'}", 1);
    check_only_custom("{'only_custom':'false'}", 0);
    check_only_custom("{'only_custom':'yes'}", 0);
    check_only_custom("{}", 0);
    check_only_custom("''", 0);

    CHECK_INT(parse_sq("{'resultToken':'t','ruleName':'top','invokingEvent':"
                       "{'messageType':'ScheduledNotification'},"
                       "'ruleParameters':{'dangerousActions':''}}",
                       &ev, &err),
              0);
    CHECK_STR(ev.dangerous_actions, "");
    CHECK_STR(ev.rule_name, "top");
    cfg_event_release(&ev);

    CHECK_INT(parse_sq("{'resultToken':'t','invokingEvent':{'messageType':"
                       "'ScheduledNotification'},'ruleParameters':null}",
                       &ev, &err),
              0);
    CHECK_INT(ev.has_rule_parameters, 0);
    CHECK(ev.dangerous_actions == NULL);
    cfg_event_release(&ev);

    check_refused("{'resultToken':'t','invokingEvent':{'messageType':"
                  "'ScheduledNotification'},'ruleParameters':'[1]'}",
                  "EventField");
    check_refused("{'resultToken':'t','invokingEvent':{'messageType':"
                  "'ScheduledNotification'},'ruleParameters':{"
                  "'dangerousActions':['ecs:*']}}",
                  "EventField");
}

/* A periodic request without an item covers the account; so does one
 * with configurationType NONE. A change request must name a resource. */
static void test_rule_scope(void)
{
    struct cfg_event ev;
    struct mg_error err;

    CHECK_INT(parse_sq("{'resultToken':'t','accountId':'1698272328540001',"
                       "'invokingEvent':{'messageType':"
                       "'ScheduledNotification','configurationType':'NONE'}}",
                       &ev, &err),
              0);
    CHECK_INT(ev.has_resource, 0);
    CHECK(ev.account_id == ACCOUNT);
    CHECK_STR(ev.res.user_name, "");
    cfg_event_release(&ev);

    CHECK_INT(parse_sq("{'resultToken':'t','invokingEvent':{'messageType':"
                       "'ConfigurationItemChangeNotification',"
                       "'configurationType':'NONE'}}",
                       &ev, &err),
              0);
    CHECK_INT(ev.has_resource, 0);
    CHECK(ev.account_id == 0);
    cfg_event_release(&ev);

    CHECK_INT(parse_sq("{'resultToken':'t','invokingEvent':{'messageType':"
                       "'ScheduledNotification','configurationItem':{}}}",
                       &ev, &err),
              0);
    CHECK_INT(ev.has_resource, 0);
    cfg_event_release(&ev);

    check_refused("{'resultToken':'t','invokingEvent':{'messageType':"
                  "'ConfigurationItemChangeNotification',"
                  "'configurationType':'COMMON'}}",
                  "EventNoResource");
    check_refused("{'resultToken':'t','invokingEvent':{}}", "EventNoResource");
}

/* Account: item, then invokingEvent, then the top. Ordering: the top's
 * orderingTimestamp, then captureTime, then the older
 * notificationCreationTimestamp, then now. */
static void test_account_and_ordering_fallbacks(void)
{
    struct cfg_event ev;
    struct mg_error err;
    int64_t before;

    CHECK_INT(parse_sq("{'resultToken':'t','accountId':3,'invokingEvent':{"
                       "'messageType':'ScheduledNotification','accountId':2,"
                       "'notificationCreationTimestamp':30,"
                       "'configurationItem':{'resourceId':'u',"
                       "'captureTime':20}}}",
                       &ev, &err),
              0);
    CHECK_INT(ev.account_id, 2);
    CHECK_INT(ev.ordering_ms, 20);
    cfg_event_release(&ev);

    CHECK_INT(parse_sq("{'resultToken':'t','accountId':3,'invokingEvent':{"
                       "'messageType':'ScheduledNotification',"
                       "'notificationCreationTimestamp':30}}",
                       &ev, &err),
              0);
    CHECK_INT(ev.account_id, 3);
    CHECK_INT(ev.ordering_ms, 30);
    cfg_event_release(&ev);

    before = mg_now_ms();
    CHECK_INT(parse_sq("{'resultToken':'t','invokingEvent':{'messageType':"
                       "'ScheduledNotification','configurationItem':{"
                       "'resourceId':'u','captureTime':''}}}",
                       &ev, &err),
              0);
    CHECK(ev.ordering_ms >= before && ev.ordering_ms <= mg_now_ms());
    CHECK(ev.res.capture_ms == 0);
    cfg_event_release(&ev);
}

static void test_account_id_above_2_pow_53_stays_exact(void)
{
    struct cfg_event ev;
    struct mg_error err;
    struct mg_buf out = MG_BUF_INIT(4096);
    struct cfg_evaluation e;

    CHECK_INT(parse_sq("{'resultToken':'t','orderingTimestamp':1,"
                       "'invokingEvent':{'messageType':'ScheduledNotification',"
                       "'configurationItem':{'accountId':9007199254740993,"
                       "'resourceId':'200828888731170001','resourceName':'x',"
                       "'resourceType':'ACS::RAM::User','regionId':'global'}}}",
                       &ev, &err),
              0);
    CHECK(ev.account_id == 9007199254740993LL);
    CHECK(ev.res.account_id == 9007199254740993LL);

    e = (struct cfg_evaluation){ ev.res.account_id, ev.res.id,   ev.res.type,
                                 ev.res.region,     ev.res.name, ev.ordering_ms,
                                 "COMPLIANT",       NULL };
    CHECK_INT(cfg_evaluations_json(&out, &e, 1), 0);
    CHECK_STR(out.data, "[{\"accountId\":9007199254740993,"
                        "\"complianceResourceId\":\"200828888731170001\","
                        "\"complianceResourceType\":\"ACS::RAM::User\","
                        "\"complianceRegionId\":\"global\","
                        "\"complianceResourceName\":\"x\","
                        "\"orderingTimestamp\":1,"
                        "\"complianceType\":\"COMPLIANT\"}]");
    mg_buf_release(&out);
    cfg_event_release(&ev);

    CHECK_INT(parse_sq("{'resultToken':'t','accountId':9223372036854775807,"
                       "'invokingEvent':{'messageType':"
                       "'ScheduledNotification'}}",
                       &ev, &err),
              0);
    CHECK(ev.account_id == 9223372036854775807LL);
    cfg_event_release(&ev);
    check_refused("{'resultToken':'t','accountId':9223372036854775808,"
                  "'invokingEvent':{'messageType':'ScheduledNotification'}}",
                  "EventField");
}

static void test_bad_numbers_are_refused(void)
{
    static const char *const accounts[] = { "1.5", "'abc'", "-5",
                                            "0",   "true",  "'12 '" };
    char text[256];
    size_t i;

    for (i = 0; i < sizeof(accounts) / sizeof(accounts[0]); i++) {
        snprintf(text, sizeof(text),
                 "{'resultToken':'t','accountId':%s,'invokingEvent':{"
                 "'messageType':'ScheduledNotification'}}",
                 accounts[i]);
        check_refused(text, "EventField");
    }
    check_refused("{'resultToken':'t','orderingTimestamp':'soon',"
                  "'invokingEvent':{'messageType':'ScheduledNotification'}}",
                  "EventField");
}

/* mns-api.md §8.1: create, modify, delete; "****" made digits. */
static void test_change_notification_create(void)
{
    struct cfg_event ev;
    struct mg_error err;

    CHECK_INT(
        parse_sq(
            "{'requestId':'c9e582cf-8aba-47bc-8bf3-8c2c5c7fa615',"
            "'dataType':'ConfigurationItemChangeNotification',"
            "'eventName':'ResourceAdd','configurationItemDiff':{"
            "'changedProperties':{},'changeType':'DISCOVERED'},"
            "'eventType':'ResourceChange',"
            "'notificationCreationTime':1629883217558,'configurationItem':{"
            "'accountId':1325859029440001,'resourceCreateTime':1629883110000,"
            "'resourceId':'test_bucket','resourceStatus':'',"
            "'regionId':'cn-beijing','configuration':{'AccessControlList':{"
            "'Grant':'private'},'ServerSideEncryptionRule':{'SSEAlgorithm':"
            "'None'},'Comment':'','CreationDate':'2021-08-25T09:18:30.000Z',"
            "'Owner':{'DisplayName':'1325859029440001','ID':"
            "'1325859029440001'},'StorageClass':'Standard',"
            "'DataRedundancyType':'LRS','AllowEmptyReferer':'true','Name':"
            "'test_bucket','BucketPolicy':{'LogPrefix':'','LogBucket':''},"
            "'ExtranetEndpoint':'oss-cn-beijing.example','IntranetEndpoint':"
            "'oss-cn-beijing-internal.example','Location':'oss-cn-beijing'},"
            "'captureTime':1629883213000,'resourceName':'test_bucket',"
            "'availabilityZone':'','resourceType':'ACS::OSS::Bucket',"
            "'tags':{}}}",
            &ev, &err),
        0);
    CHECK_INT(ev.kind, CFG_EVENT_CHANGE);
    CHECK_STR(ev.message_type, "ConfigurationItemChangeNotification");
    CHECK_STR(ev.change_type, "ResourceAdd");
    CHECK_STR(ev.request_id, "c9e582cf-8aba-47bc-8bf3-8c2c5c7fa615");
    CHECK(ev.account_id == 1325859029440001LL);
    CHECK(ev.ordering_ms == 1629883217558LL);
    CHECK(ev.res.capture_ms == 1629883213000LL);
    CHECK_STR(ev.res.id, "test_bucket");
    CHECK_STR(ev.res.type, "ACS::OSS::Bucket");
    CHECK_STR(ev.res.region, "cn-beijing");
    CHECK_STR(ev.res.user_name, "test_bucket");
    CHECK_INT(ev.has_resource, 1);
    CHECK(ev.result_token == NULL && ev.dangerous_actions == NULL);
    CHECK_INT(ev.has_rule_parameters, 0);
    cfg_event_release(&ev);
}

static void test_change_notification_modify(void)
{
    struct cfg_event ev;
    struct mg_error err;

    CHECK_INT(
        parse_sq("{'requestId':'bb6f19ff-9c58-45c3-b79d-a20469c37eae',"
                 "'dataType':'ConfigurationItemChangeNotification',"
                 "'eventName':'ResourceUpdate','configurationItemDiff':{"
                 "'changedProperties':{'DiskName':{'changeType':'MODIFY',"
                 "'previousValue':'test_disk1','updatedValue':'test_disk2'}},"
                 "'changeType':'MODIFY'},'eventType':'ResourceChange',"
                 "'notificationCreationTime':1629879815173,"
                 "'configurationItem':{'accountId':1009318965420001,"
                 "'resourceCreateTime':1629879380001,'resourceId':"
                 "'d-hp3ezlgii0ltupns0001','resourceStatus':'Available',"
                 "'regionId':'cn-huhehaote','configuration':{'DiskName':"
                 "'test_disk2','Category':'cloud_essd','Size':40,'Status':"
                 "'Available','ZoneId':'cn-huhehaote-a','DiskId':"
                 "'d-hp3ezlgii0ltupns0001','...':'...'},"
                 "'captureTime':1629879808000,'resourceName':'test_disk2',"
                 "'availabilityZone':'cn-huhehaote-a','resourceType':"
                 "'ACS::ECS::Disk','tags':{}}}",
                 &ev, &err),
        0);
    CHECK_INT(ev.kind, CFG_EVENT_CHANGE);
    CHECK_STR(ev.change_type, "ResourceUpdate");
    CHECK(ev.account_id == 1009318965420001LL);
    CHECK(ev.ordering_ms == 1629879815173LL);
    CHECK_STR(ev.res.name, "test_disk2");
    cfg_event_release(&ev);
}

static void test_change_notification_delete(void)
{
    struct cfg_event ev;
    struct mg_error err;

    CHECK_INT(parse_sq("{'requestId':'e63b8fca-74d4-4709-9ea3-b7e0a3159294',"
                       "'dataType':'ConfigurationItemChangeNotification',"
                       "'eventName':'ResourceDelete','configurationItemDiff':{"
                       "'changedProperties':{},'changeType':'REMOVE'},"
                       "'eventType':'ResourceChange',"
                       "'notificationCreationTime':1629883026181,"
                       "'configurationItem':{'accountId':1325859029440001,"
                       "'resourceId':'test_bucket','regionId':'cn-beijing',"
                       "'captureTime':1629883020000,'resourceName':"
                       "'test_bucket','resourceType':'ACS::OSS::Bucket',"
                       "'tags':null,'arn':"
                       "'acs:oss:cn-beijing:1325859029440001:test_bucket'}}",
                       &ev, &err),
              0);
    CHECK_STR(ev.change_type, "ResourceDelete");
    CHECK(ev.ordering_ms == 1629883026181LL);
    CHECK(ev.res.capture_ms == 1629883020000LL);
    cfg_event_release(&ev);
}

static void check_change_type(const char *members, const char *want)
{
    char text[512];
    struct cfg_event ev;
    struct mg_error err;

    snprintf(text, sizeof(text),
             "{'eventType':'ResourceChange',%s'configurationItem':{"
             "'resourceId':'u','configuration':'{\\'UserName\\':\\'eve\\'}'}}",
             members);
    CHECK_INT(parse_sq(text, &ev, &err), 0);
    CHECK_STR(ev.change_type, want);
    CHECK_STR(ev.res.user_name, "eve");
    cfg_event_release(&ev);
}

static void test_change_type_sources(void)
{
    check_change_type("'configurationItemDiff':{'changeType':'DISCOVERED'},",
                      "ResourceAdd");
    check_change_type("'configurationItemDiff':'{\\'changeType\\':"
                      "\\'REMOVE\\'}',",
                      "ResourceDelete");
    check_change_type("'eventName':'ResourceUpdate','configurationItemDiff':"
                      "{'changeType':'REMOVE'},",
                      "ResourceUpdate");
    check_change_type("'configurationItemDiff':{'changeType':'RENAME'},",
                      "RENAME");
    check_change_type("", "");
    check_refused("{'dataType':'ConfigurationItemChangeNotification',"
                  "'configurationItem':{'resourceType':'ACS::RAM::User'}}",
                  "EventNoResource");
}

/* mns-api.md §8.3 and config-ram-api.md §6: PascalCase at the top. */
static void test_legacy_pascal_case_change(void)
{
    struct cfg_event ev;
    struct mg_error err;

    CHECK_INT(parse_sq("{'AccountId':1208863178610001,'ResourceName':"
                       "'new-bucket','AvailabilityZone':'ap-southeast-1a',"
                       "'ResourceType':'ACS::OSS::Bucket','ResourceEventType':"
                       "'MODIFY','ResourceCreateTime':'','RelationshipDiff':'',"
                       "'CaptureTime':1605779129000,'ConfigurationDiff':"
                       "'{\\'ServerSideEncryptionRule\\':[{\\'SSEAlgorithm\\':"
                       "\\'None\\'},{\\'SSEAlgorithm\\':\\'AES256\\'}]}',"
                       "'ResourceId':'new-bucket','Relationship':'','Region':"
                       "'ap-southeast-1','Tags':'{}'}",
                       &ev, &err),
              0);
    CHECK_INT(ev.kind, CFG_EVENT_CHANGE);
    CHECK_STR(ev.message_type, "ConfigurationItemChangeNotification");
    CHECK_STR(ev.change_type, "ResourceUpdate");
    CHECK(ev.account_id == 1208863178610001LL);
    CHECK(ev.ordering_ms == 1605779129000LL);
    CHECK_STR(ev.res.id, "new-bucket");
    CHECK_STR(ev.res.name, "new-bucket");
    CHECK_STR(ev.res.type, "ACS::OSS::Bucket");
    CHECK_STR(ev.res.region, "ap-southeast-1");
    CHECK_INT(ev.has_resource, 1);
    cfg_event_release(&ev);
}

/* mns-api.md §8.2, with dataType. */
static void test_noncompliance_notification_with_data_type(void)
{
    struct cfg_event ev;
    struct mg_error err;

    CHECK_INT(
        parse_sq(
            "{'annotation':'{\\'configuration\\':\\'classic\\',"
            "\\'desiredValue\\':\\'vpc\\',\\'operator\\':\\'StringEquals\\',"
            "\\'property\\':\\'$.InstanceNetworkType\\'}','riskLevel':"
            "'Warning','dataType':'NonCompliantNotification',"
            "'evaluationResultIdentifier':{'orderingTimestamp':1630907917476,"
            "'evaluationResultQualifier':{'resourceId':"
            "'i-2ze1qff61suafi710001','configRuleName':'ecs-instances-in-vpc',"
            "'configRuleId':'cr-b9046457e0d9003f0001','captureTime':"
            "1630907917476,'resourceName':'test_Instance','configRuleArn':"
            "'acs:config::1208863178610001:rule/cr-b9046457e0d9003f0001',"
            "'regionId':'cn-beijing','resourceOwnerId':1208863178610001,"
            "'resourceType':'ACS::ECS::Instance'}},'eventType':"
            "'ResourceCompliance','invokingEventMessageType':'Manual',"
            "'complianceType':'NON_COMPLIANT','accountId':1208863178610001,"
            "'requestId':'a13f5505-427d-41ef-ab2e-606394abb9a8','eventName':"
            "'NonCompliant','notificationCreationTime':1630907919929}",
            &ev, &err),
        0);
    CHECK_INT(ev.kind, CFG_EVENT_NONCOMPLIANCE);
    CHECK_STR(ev.message_type, "NonCompliantNotification");
    CHECK_STR(ev.request_id, "a13f5505-427d-41ef-ab2e-606394abb9a8");
    CHECK_STR(ev.rule_name, "ecs-instances-in-vpc");
    CHECK(ev.account_id == 1208863178610001LL);
    CHECK(ev.ordering_ms == 1630907917476LL);
    CHECK_STR(ev.res.id, "i-2ze1qff61suafi710001");
    CHECK_STR(ev.res.type, "ACS::ECS::Instance");
    CHECK_STR(ev.res.region, "cn-beijing");
    CHECK_INT(ev.has_resource, 1);
    CHECK(ev.result_token == NULL);
    cfg_event_release(&ev);
}

/* config-ram-api.md §6: the older form, marked by eventType alone. */
static void test_noncompliance_notification_without_data_type(void)
{
    struct cfg_event ev;
    struct mg_error err;

    CHECK_INT(
        parse_sq("{'annotation':'x','accountId':1698272328540001,'riskLevel':"
                 "'Critical','resultRecordedTimestamp':1595419396740,"
                 "'eventName':'NonCompliant','evaluationResultIdentifier':{"
                 "'orderingTimestamp':1595419392092,"
                 "'evaluationResultQualifier':{'resourceId':'config-snapshot',"
                 "'configRuleName':'test-oss-bucket-public-read-prohibited',"
                 "'regionId':'ap-southeast-1','resourceName':"
                 "'config-snapshot','resourceOwnerId':1698272328540001,"
                 "'resourceType':'ACS::OSS::Bucket'}},'eventType':"
                 "'ResourceCompliance','invokingEventMessageType':"
                 "'ConfigurationItemChangeNotification',"
                 "'configRuleInvokedTimestamp':1595419392092,"
                 "'notificationCreationTime':1595419396769,'complianceType':"
                 "'NON_COMPLIANT'}",
                 &ev, &err),
        0);
    CHECK_INT(ev.kind, CFG_EVENT_NONCOMPLIANCE);
    CHECK_STR(ev.message_type, "NonCompliant");
    CHECK_STR(ev.rule_name, "test-oss-bucket-public-read-prohibited");
    CHECK(ev.account_id == ACCOUNT);
    CHECK(ev.ordering_ms == 1595419392092LL);
    cfg_event_release(&ev);
}

static void test_snapshot_and_unknown_data_types_are_other(void)
{
    struct cfg_event ev;
    struct mg_error err;

    CHECK_INT(parse_sq("{'requestId':'c33f24e9-0001','eventName':"
                       "'SnapshotDeliverySuccess','eventType':"
                       "'SnapshotDelivery','notificationCreationTime':"
                       "1605863441996}",
                       &ev, &err),
              0);
    CHECK_INT(ev.kind, CFG_EVENT_OTHER);
    CHECK_STR(ev.message_type, "SnapshotDeliverySuccess");
    CHECK_STR(ev.request_id, "c33f24e9-0001");
    CHECK(ev.ordering_ms == 1605863441996LL);
    CHECK_INT(ev.has_resource, 0);
    cfg_event_release(&ev);

    CHECK_INT(parse_sq("{'requestId':'c33f24e9-0002','eventName':"
                       "'SnapshotDeliveryFailed','eventType':"
                       "'SnapshotDelivery','notificationCreationTime':"
                       "1605863441996,'errorCause':'NoSuchBucket'}",
                       &ev, &err),
              0);
    CHECK_INT(ev.kind, CFG_EVENT_OTHER);
    CHECK_STR(ev.message_type, "SnapshotDeliveryFailed");
    cfg_event_release(&ev);

    CHECK_INT(
        parse_sq("{'dataType':'OversizedNotice','requestId':'r'}", &ev, &err),
        0);
    CHECK_INT(ev.kind, CFG_EVENT_OTHER);
    CHECK_STR(ev.message_type, "OversizedNotice");
    cfg_event_release(&ev);
}

static void test_refuses_what_is_not_an_event(void)
{
    struct cfg_event ev;
    struct mg_error err;

    CHECK_INT(cfg_event_parse("", 0, &ev, &err), -1);
    CHECK_STR(err.code, "EventEmpty");
    CHECK_INT(cfg_event_parse(NULL, 3, &ev, &err), -1);
    CHECK_INT(cfg_event_parse("{\"a\":\0}", 7, &ev, &err), -1);
    CHECK_STR(err.code, "EventNul");
    CHECK_INT(err.cls, MG_INVALID);
    check_refused("not json", "EventNotJson");
    check_refused("{'resultToken':'t'} trailing", "EventNotJson");
    check_refused("[{'resultToken':'t'}]", "EventNotObject");
    check_refused("'just a string'", "EventNotJson");
    check_refused("{}", "EventUnknown");
    check_refused("{'eventType':'ApiCall','eventName':'CreateUser'}",
                  "EventUnknown");
    check_refused("{'TopicOwner':'1','Message':'{}'}", "EventUnknown");
    check_refused("{'invokingEvent':{'messageType':'ScheduledNotification'}}",
                  "EventNoResultToken");
    check_refused("{'resultToken':'','invokingEvent':{}}",
                  "EventNoResultToken");
    check_refused("{'resultToken':null,'invokingEvent':{}}",
                  "EventNoResultToken");
    check_refused("{'resultToken':5,'invokingEvent':{}}", "EventField");
    check_refused("{'resultToken':'t'}", "EventNoInvokingEvent");
    check_refused("{'resultToken':'t','invokingEvent':'{broken'}",
                  "EventNoInvokingEvent");
    check_refused("{'resultToken':'t','invokingEvent':[]}",
                  "EventNoInvokingEvent");
}

static void check_length(const char *field, size_t len, const char *type,
                         int want)
{
    char *value = malloc(len + 1);
    char *text = malloc(len + 512);
    /* The other of id and name, so that the item names a resource. */
    const char *other =
        strcmp(field, "resourceId") == 0 ? "resourceName" : "resourceId";
    struct cfg_event ev;
    struct mg_error err;

    memset(value, 'a', len);
    value[len] = '\0';

    snprintf(text, len + 512,
             "{'resultToken':'t','invokingEvent':{'messageType':'Manual',"
             "'configurationItem':{'%s':'x','resourceType':'%s',"
             "'%s':'%s'}}}",
             other, type, field, value);
    CHECK_INT(parse_sq(text, &ev, &err), want);
    if (want != 0) {
        CHECK_STR(err.code, "EventFieldTooLong");
    }
    cfg_event_release(&ev);
    free(value);
    free(text);
}

/* A field is never cut: one byte too many refuses the event. */
static void test_long_fields_are_refused_not_cut(void)
{
    struct cfg_event ev;
    struct mg_error err;

    check_length("resourceId", 127, "ACS::RAM::User", 0);
    check_length("resourceId", 128, "ACS::RAM::User", -1);
    check_length("resourceName", 127, "ACS::RAM::User", 0);
    /* Too long for a user name: read, with the user left unknown (the
     * worker refuses to check it; a notice naming it still reads back). */
    check_length("resourceName", 128, "ACS::RAM::User", 0);
    check_length("resourceName", 256, "ACS::RAM::User", -1);
    check_length("regionId", 64, "ACS::RAM::User", -1);
    /* Not a user's name: the event still gets its NOT_APPLICABLE. */
    check_length("resourceName", 200, "ACS::ECS::Instance", 0);
    /* Even one too long for any field: it is left out, not refused. */
    check_length("resourceName", 300, "ACS::ECS::Instance", 0);

    CHECK_INT(parse_sq("{'resultToken':'t','invokingEvent':{'messageType':"
                       "'Manual','configurationItem':{'resourceId':'1',"
                       "'resourceName':'\xff\xfe'}}}",
                       &ev, &err),
              -1);
    CHECK_STR(err.code, "EventField");
    CHECK_INT(parse_sq("{'resultToken':'t','invokingEvent':{'messageType':"
                       "'Manual','configurationItem':{'resourceId':'1',"
                       "'resourceName':'\xed\xa0\x80'}}}",
                       &ev, &err),
              -1);
    CHECK_INT(parse_sq("{'resultToken':'t','invokingEvent':{'messageType':"
                       "'Manual','configurationItem':{'resourceId':'1',"
                       "'resourceName':'\xe5\xbc\xa0\xe4\xb8\x89'}}}",
                       &ev, &err),
              0);
    CHECK_STR(ev.res.user_name, "\xe5\xbc\xa0\xe4\xb8\x89");
    cfg_event_release(&ev);
}

static char *nested(size_t depth, const char *inner)
{
    size_t len = strlen(inner);
    char *s = malloc(2 * depth + len + 1);
    size_t i;

    for (i = 0; i < depth; i++) {
        s[i] = '[';
        s[depth + len + i] = ']';
    }
    memcpy(s + depth, inner, len);
    s[2 * depth + len] = '\0';
    return s;
}

static void test_deep_nesting_is_refused_or_ignored(void)
{
    struct cfg_event ev;
    struct mg_error err;
    char *deep = nested(100000, "");
    char *text;
    char *inner = nested(500, "1");

    CHECK_INT(cfg_event_parse(deep, strlen(deep), &ev, &err), -1);
    CHECK_INT(err.cls, MG_INVALID);
    free(deep);

    /* Within cJSON's limit, in a field nobody reads: still an event. */
    text = malloc(strlen(inner) + 256);
    snprintf(text, strlen(inner) + 256,
             "{\"resultToken\":\"t\",\"junk\":%s,\"invokingEvent\":{"
             "\"messageType\":\"ScheduledNotification\"}}",
             inner);
    CHECK_INT(cfg_event_parse(text, strlen(text), &ev, &err), 0);
    cfg_event_release(&ev);
    free(text);
    free(inner);

    deep = nested(5000, "1");
    text = malloc(strlen(deep) + 256);
    snprintf(text, strlen(deep) + 256,
             "{\"resultToken\":\"t\",\"junk\":%s,\"invokingEvent\":{}}", deep);
    CHECK_INT(cfg_event_parse(text, strlen(text), &ev, &err), -1);
    CHECK_INT(err.cls, MG_INVALID);
    free(text);
    free(deep);
}

/* Bytes flipped at random (a fixed seed, so every run is the same) in a
 * real request: each result is an event or an MG_INVALID refusal. */
static void test_mutations_parse_or_are_refused(void)
{
    const char *seed = FAQ_HEAD FAQ_KEYS FAQ_TAIL;
    size_t len = strlen(seed);
    char *text = malloc(len + 1);
    unsigned long r = 12345;
    int odd = 0;
    int i;

    for (i = 0; i < 5000; i++) {
        struct cfg_event ev;
        struct mg_error err;
        int k;

        memcpy(text, seed, len + 1);
        for (k = 0; k < 1 + i % 4; k++) {
            r = r * 6364136223846793005UL + 1442695040888963407UL;
            text[(r >> 33) % len] = (char)(r >> 17);
        }
        if (cfg_event_parse(text, len, &ev, &err) != 0 &&
            err.cls != MG_INVALID) {
            odd++;
        }
        cfg_event_release(&ev);
    }
    CHECK_INT(odd, 0);
    free(text);
}

static void test_size_limit(void)
{
    const char *head = "{\"resultToken\":\"t\",\"invokingEvent\":{"
                       "\"messageType\":\"ScheduledNotification\"},\"pad\":\"";
    size_t len = CFG_MAX_EVENT_BYTES;
    char *text = malloc(len + 2);
    struct cfg_event ev;
    struct mg_error err;

    memset(text, 'x', len + 1);
    memcpy(text, head, strlen(head));
    text[len - 2] = '"';
    text[len - 1] = '}';
    CHECK_INT(cfg_event_parse(text, len, &ev, &err), 0);
    cfg_event_release(&ev);

    text[len - 1] = ' ';
    text[len] = '}';
    CHECK_INT(cfg_event_parse(text, len + 1, &ev, &err), -1);
    CHECK_STR(err.code, "EventTooLarge");
    free(text);
}

/* config-ram-api.md T7: the Evaluations text, byte for byte. */
static void test_evaluations_match_vector_t7(void)
{
    struct mg_buf out = MG_BUF_INIT(4096);
    struct cfg_evaluation e = {
        1234567890123456LL,
        "20082888873117****",
        "ACS::RAM::User",
        "global",
        NULL,
        1600610821106LL,
        "NON_COMPLIANT",
        "user MFADevice empty",
    };

    CHECK_INT(cfg_evaluations_json(&out, &e, 1), 0);
    CHECK_STR(out.data, "[{\"accountId\":1234567890123456,"
                        "\"complianceResourceId\":\"20082888873117****\","
                        "\"complianceResourceType\":\"ACS::RAM::User\","
                        "\"complianceRegionId\":\"global\","
                        "\"orderingTimestamp\":1600610821106,"
                        "\"complianceType\":\"NON_COMPLIANT\","
                        "\"annotation\":\"user MFADevice empty\"}]");
    mg_buf_release(&out);
}

static void test_evaluations_escape_strings(void)
{
    struct mg_buf out = MG_BUF_INIT(4096);
    struct cfg_evaluation e[2] = {
        { 1, "u1", "ACS::RAM::User", "", "", 5, "COMPLIANT", NULL },
        { 9223372036854775807LL, "u\"2", "ACS::RAM::User", "global",
          "\xe5\xbc\xa0\xe4\xb8\x89", 6, "NOT_APPLICABLE",
          "say \"hi\"\\ \n\t\x01\x1f\x7f \xe2\x98\x8e" },
    };

    mg_buf_adds(&out, "Evaluations=");
    CHECK_INT(cfg_evaluations_json(&out, e, 2), 0);
    CHECK_STR(out.data,
              "Evaluations=[{\"accountId\":1,\"complianceResourceId\":\"u1\","
              "\"complianceResourceType\":\"ACS::RAM::User\","
              "\"complianceRegionId\":\"\",\"orderingTimestamp\":5,"
              "\"complianceType\":\"COMPLIANT\"},"
              "{\"accountId\":9223372036854775807,"
              "\"complianceResourceId\":\"u\\\"2\","
              "\"complianceResourceType\":\"ACS::RAM::User\","
              "\"complianceRegionId\":\"global\","
              "\"complianceResourceName\":\"\xe5\xbc\xa0\xe4\xb8\x89\","
              "\"orderingTimestamp\":6,\"complianceType\":\"NOT_APPLICABLE\","
              "\"annotation\":\"say \\\"hi\\\"\\\\ \\n\\t\\u0001\\u001f\x7f "
              "\xe2\x98\x8e\"}]");
    CHECK_INT(cfg_evaluations_json(&out, e, 0), 0);
    CHECK(strcmp(out.data + out.len - 4, "}][]") == 0);
    mg_buf_release(&out);
}

/* A refused evaluation leaves the buffer as it was. */
static void test_evaluations_refuse_incomplete_input(void)
{
    struct mg_buf out = MG_BUF_INIT(4096);
    struct mg_buf tiny = MG_BUF_INIT(200);
    char annotation[101];
    struct cfg_evaluation ok = { 1,    "u", "ACS::RAM::User", "g",
                                 NULL, 1,   "COMPLIANT",      NULL };
    struct cfg_evaluation bad[7];
    size_t i;

    for (i = 0; i < 7; i++) {
        bad[i] = ok;
    }
    bad[0].account_id = 0;
    bad[1].resource_id = "";
    bad[2].resource_type = NULL;
    bad[3].region = NULL;
    bad[4].compliance = "Compliant";
    bad[5].annotation = "cut \xe5\xbc";
    bad[6].ordering_ms = -1;

    mg_buf_adds(&out, "keep");
    for (i = 0; i < 7; i++) {
        struct cfg_evaluation two[2] = { ok, bad[i] };

        CHECK_INT(cfg_evaluation_valid(&bad[i]), 0);
        CHECK_INT(cfg_evaluations_json(&out, two, 2), -1);
        CHECK_STR(out.data, "keep");
    }
    CHECK_INT(cfg_evaluation_valid(&ok), 1);
    CHECK_INT(cfg_evaluations_json(&tiny, &ok, 1), 0);
    mg_buf_reset(&tiny);
    memset(annotation, 'a', sizeof(annotation) - 1);
    annotation[sizeof(annotation) - 1] = '\0';
    ok.annotation = annotation;
    CHECK_INT(cfg_evaluations_json(&tiny, &ok, 1), -1);
    CHECK_INT(tiny.len, 0);
    CHECK_INT(cfg_evaluations_json(NULL, &ok, 1), -1);
    mg_buf_release(&out);
    mg_buf_release(&tiny);
}

static const struct cfg_evaluation notice_eval = {
    9007199254740993LL,
    "200828888731170001",
    "ACS::RAM::User",
    "global",
    "test123",
    1733300000000LL,
    "NON_COMPLIANT",
    "ecs:* granted by AliyunECSFullAccess (System, on user) and 2 more; no "
    "MFA device",
};

static void test_notice_shape(void)
{
    struct mg_buf out = MG_BUF_INIT(8192);
    struct cfg_notice n = { &notice_eval,
                            "RAMUserMFA",
                            NULL,
                            "ConfigurationItemChangeNotification",
                            "mfaguard-200828888731170001-1733300000000",
                            1733300009000LL };
    cJSON *extra = cJSON_CreateObject();

    cJSON_AddStringToObject(extra, "user", "test123");
    cJSON_AddNumberToObject(extra, "grants", 3);
    CHECK_INT(cfg_notice_json(&out, &n, extra), 0);
    CHECK_STR(out.data,
              "{\"annotation\":\"ecs:* granted by AliyunECSFullAccess "
              "(System, on user) and 2 more; no MFA device\","
              "\"riskLevel\":\"Warning\","
              "\"dataType\":\"NonCompliantNotification\","
              "\"eventType\":\"ResourceCompliance\","
              "\"eventName\":\"NonCompliant\","
              "\"complianceType\":\"NON_COMPLIANT\","
              "\"accountId\":9007199254740993,"
              "\"requestId\":\"mfaguard-200828888731170001-1733300000000\","
              "\"invokingEventMessageType\":"
              "\"ConfigurationItemChangeNotification\","
              "\"notificationCreationTime\":1733300009000,"
              "\"evaluationResultIdentifier\":{"
              "\"orderingTimestamp\":1733300000000,"
              "\"evaluationResultQualifier\":{"
              "\"resourceId\":\"200828888731170001\","
              "\"resourceName\":\"test123\","
              "\"resourceType\":\"ACS::RAM::User\",\"regionId\":\"global\","
              "\"configRuleName\":\"RAMUserMFA\","
              "\"resourceOwnerId\":9007199254740993}},"
              "\"mfaguard\":{\"user\":\"test123\",\"grants\":3}}");
    mg_buf_release(&out);
}

/* A worker subscribed to its own topic must recognise and skip these. */
static void test_notice_parses_back_as_noncompliance(void)
{
    struct mg_buf out = MG_BUF_INIT(8192);
    struct cfg_notice n = { &notice_eval,   "RAMUserMFA",
                            "Critical",     "ScheduledNotification",
                            "dedupe-key-1", 0 };
    cJSON *extra = cJSON_CreateObject();
    struct cfg_event ev;
    struct mg_error err;
    int64_t before = mg_now_ms();
    const char *created;

    /* Keys of a rule request, nested, must not fool the classifier. */
    cJSON_AddStringToObject(extra, "resultToken", "not-a-token");
    cJSON_AddItemToObject(extra, "invokingEvent", cJSON_CreateObject());
    CHECK_INT(cfg_notice_json(&out, &n, extra), 0);
    CHECK(strstr(out.data, "\"riskLevel\":\"Critical\"") != NULL);
    CHECK_INT(cfg_event_parse(out.data, out.len, &ev, &err), 0);
    CHECK_INT(ev.kind, CFG_EVENT_NONCOMPLIANCE);
    CHECK_STR(ev.message_type, "NonCompliantNotification");
    CHECK_STR(ev.request_id, "dedupe-key-1");
    CHECK_STR(ev.rule_name, "RAMUserMFA");
    CHECK(ev.account_id == 9007199254740993LL);
    CHECK(ev.res.account_id == 9007199254740993LL);
    CHECK_STR(ev.res.id, "200828888731170001");
    CHECK_STR(ev.res.user_name, "test123");
    CHECK_STR(ev.res.region, "global");
    CHECK(ev.ordering_ms == 1733300000000LL);
    CHECK(ev.result_token == NULL);
    created = strstr(out.data, "\"notificationCreationTime\":");
    CHECK(created != NULL);
    if (created != NULL) {
        int64_t ms = strtoll(created + 27, NULL, 10);

        CHECK(ms >= before && ms <= mg_now_ms());
    }
    cfg_event_release(&ev);
    mg_buf_release(&out);
}

/* Refusals free extra too (valgrind watches) and leave out alone. */
static void test_notice_refusals(void)
{
    struct mg_buf out = MG_BUF_INIT(8192);
    struct cfg_evaluation bad = notice_eval;
    struct cfg_notice n = { &notice_eval, NULL, NULL, NULL, NULL, 1 };
    char long_id[200];

    mg_buf_adds(&out, "keep");
    CHECK_INT(cfg_notice_json(&out, &n, cJSON_CreateObject()), -1);
    n.request_id = "";
    CHECK_INT(cfg_notice_json(&out, &n, NULL), -1);
    n.request_id = "r";
    CHECK_INT(cfg_notice_json(&out, &n, cJSON_CreateArray()), -1);
    memset(long_id, 'r', sizeof(long_id) - 1);
    long_id[sizeof(long_id) - 1] = '\0';
    n.request_id = long_id;
    CHECK_INT(cfg_notice_json(&out, &n, NULL), -1);
    n.request_id = "r";
    n.risk_level = "\xff";
    CHECK_INT(cfg_notice_json(&out, &n, cJSON_CreateObject()), -1);
    n.risk_level = NULL;
    bad.account_id = 0;
    n.evaluation = &bad;
    CHECK_INT(cfg_notice_json(&out, &n, NULL), -1);
    CHECK_INT(cfg_notice_json(&out, NULL, cJSON_CreateObject()), -1);
    CHECK_STR(out.data, "keep");

    n.evaluation = &notice_eval;
    CHECK_INT(cfg_notice_json(&out, &n, NULL), 0);
    CHECK(strstr(out.data, "\"mfaguard\"") == NULL);
    CHECK(strstr(out.data, "\"invokingEventMessageType\"") == NULL);
    CHECK(strstr(out.data, "\"configRuleName\"") == NULL);
    mg_buf_release(&out);
}

int main(int argc, char **argv)
{
    const char *cases = argc > 1 ? argv[1] : getenv("MFAGUARD_CASES_DIR");

    RUN(test_faq_ram_user_event_with_string_configuration);
    RUN(test_user_name_from_configuration_else_resource_name);
    RUN(test_rule_members_as_json_text_and_numbers_as_strings);
    RUN(test_rule_parameters_variants);
    RUN(test_rule_scope);
    RUN(test_account_and_ordering_fallbacks);
    RUN(test_account_id_above_2_pow_53_stays_exact);
    RUN(test_bad_numbers_are_refused);
    RUN(test_change_notification_create);
    RUN(test_change_notification_modify);
    RUN(test_change_notification_delete);
    RUN(test_change_type_sources);
    RUN(test_legacy_pascal_case_change);
    RUN(test_noncompliance_notification_with_data_type);
    RUN(test_noncompliance_notification_without_data_type);
    RUN(test_snapshot_and_unknown_data_types_are_other);
    RUN(test_refuses_what_is_not_an_event);
    RUN(test_long_fields_are_refused_not_cut);
    RUN(test_deep_nesting_is_refused_or_ignored);
    RUN(test_mutations_parse_or_are_refused);
    RUN(test_size_limit);
    RUN(test_evaluations_match_vector_t7);
    RUN(test_evaluations_escape_strings);
    RUN(test_evaluations_refuse_incomplete_input);
    RUN(test_notice_shape);
    RUN(test_notice_parses_back_as_noncompliance);
    RUN(test_notice_refusals);
    if (cases == NULL || cases[0] == '\0') {
        fprintf(stderr, "no cases folder: pass it as the first argument "
                        "or in MFAGUARD_CASES_DIR\n");
        check_failures++;
    } else {
        run_case_tests(cases);
    }
    run_client_tests();
    CHECK_MAIN_END();
}
