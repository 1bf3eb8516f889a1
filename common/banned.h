#ifndef MG_BANNED_H
#define MG_BANNED_H

/*
 * Functions that are easy to misuse with data from the network. Every .c
 * file of the product includes this header last, so a call to one of these
 * names fails to compile. Use mg_buf, snprintf, strtoll with an end pointer
 * and the mg_json / mg_xml helpers instead.
 */

#undef strcpy
#define strcpy(x, y) sorry_strcpy_is_banned_use_snprintf
#undef strcat
#define strcat(x, y) sorry_strcat_is_banned_use_mg_buf
#undef strncpy
#define strncpy(x, y, n) sorry_strncpy_is_banned_use_snprintf
#undef strncat
#define strncat(x, y, n) sorry_strncat_is_banned_use_mg_buf
#undef sprintf
#define sprintf(...) sorry_sprintf_is_banned_use_snprintf
#undef vsprintf
#define vsprintf(...) sorry_vsprintf_is_banned_use_vsnprintf
#undef strtok
#define strtok(x, y) sorry_strtok_is_banned_use_strtok_r
#undef atoi
#define atoi(x) sorry_atoi_is_banned_use_strtol
#undef atol
#define atol(x) sorry_atol_is_banned_use_strtol
#undef atoll
#define atoll(x) sorry_atoll_is_banned_use_strtoll
#undef gets
#define gets(x) sorry_gets_is_banned_use_fgets

#endif
