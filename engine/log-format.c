#include <config.h>
#include "engine/log-format.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "lib/error.h"
#include "lib/macros.h"

#define NSEC_PER_SEC 1000000000LL
#define MIN(a, b)    ((a) < (b) ? (a) : (b))

/* What the --since/--until parser accepts, for its error messages. */
#define TIME_FORMS                                                                          \
        "an RFC 3339 time (2026-12-01T03:04:05Z), unix seconds (1700000000) or a duration " \
        "before now (10m, 1h30m)"
#define DURATION_UNITS "ns, us, ms, s, m, h"

/* The parts of a date-time as written; zone_sec is the offset east of UTC. */
struct civil {
        int year, mon, day, hour, min, sec;
        long nsec;
        bool has_zone;
        int zone_sec;
};

const char *engine_log_stream_name(enum engine_log_stream stream)
{
        return stream == ENGINE_LOG_STDERR ? "stderr" : "stdout";
}

/*
 * Days since 1970-01-01 of a proleptic Gregorian date and back (H. Hinnant's algorithms): no
 * timegm()/gmtime_r() in the hot path and no dependency on the process's time zone.
 */
static int64_t days_from_civil(int64_t y, int m, int d)
{
        int64_t era, yoe, doy, doe;

        y -= m <= 2;
        era = (y >= 0 ? y : y - 399) / 400;
        yoe = y - era * 400;
        doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
        doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *ret_y, int *ret_m, int *ret_d)
{
        int64_t era, doe, yoe, doy, mp;

        z += 719468;
        era = (z >= 0 ? z : z - 146096) / 146097;
        doe = z - era * 146097;
        yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
        doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        mp = (5 * doy + 2) / 153;
        *ret_d = (int)(doy - (153 * mp + 2) / 5 + 1);
        *ret_m = (int)(mp < 10 ? mp + 3 : mp - 9);
        *ret_y = yoe + era * 400 + (*ret_m <= 2);
}

static char *put_digits(char *p, int64_t v, int n)
{
        for (int i = n - 1; i >= 0; i--) {
                p[i] = (char)('0' + v % 10);
                v /= 10;
        }
        return p + n;
}

void engine_log_format_time(int64_t ns, char *out)
{
        int64_t secs = ns / NSEC_PER_SEC, nsec = ns % NSEC_PER_SEC, days, sod, year;
        int mon, day;
        char *p = out;

        if (nsec < 0) { /* floor division: 1969 is before the epoch, not after it */
                nsec += NSEC_PER_SEC;
                secs--;
        }
        days = secs / 86400;
        sod = secs % 86400;
        if (sod < 0) {
                sod += 86400;
                days--;
        }
        civil_from_days(days, &year, &mon, &day);
        p = put_digits(p, year, 4);
        *p++ = '-';
        p = put_digits(p, mon, 2);
        *p++ = '-';
        p = put_digits(p, day, 2);
        *p++ = 'T';
        p = put_digits(p, sod / 3600, 2);
        *p++ = ':';
        p = put_digits(p, sod / 60 % 60, 2);
        *p++ = ':';
        p = put_digits(p, sod % 60, 2);
        *p++ = '.';
        p = put_digits(p, nsec, 9);
        *p++ = 'Z';
        *p = '\0';
}

/* Exactly n digits at *p; advances *p. Returns the value or -1. */
static int take_digits(const char **p, const char *end, int n)
{
        int v = 0;

        if (end - *p < n)
                return -1;
        for (int i = 0; i < n; i++) {
                char c = (*p)[i];

                if (c < '0' || c > '9')
                        return -1;
                v = v * 10 + (c - '0');
        }
        *p += n;
        return v;
}

static bool take_char(const char **p, const char *end, char c)
{
        if (*p >= end || **p != c)
                return false;
        (*p)++;
        return true;
}

static int parse_zone(const char *p, const char *end, struct civil *ct)
{
        int sign, h, m;

        if (p == end)
                return 0;
        if ((*p == 'Z' || *p == 'z') && p + 1 == end) {
                ct->has_zone = true;
                return 0;
        }
        if (*p != '+' && *p != '-')
                return -EINVAL;
        sign = *p++ == '-' ? -1 : 1;
        h = take_digits(&p, end, 2);
        if (h < 0 || h > 23 || !take_char(&p, end, ':'))
                return -EINVAL;
        m = take_digits(&p, end, 2);
        if (m < 0 || m > 59 || p != end)
                return -EINVAL;
        ct->has_zone = true;
        ct->zone_sec = sign * (h * 3600 + m * 60);
        return 0;
}

static bool date_valid(const struct civil *ct)
{
        static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        bool leap = (ct->year % 4 == 0 && ct->year % 100 != 0) || ct->year % 400 == 0;

        if (ct->mon < 1 || ct->mon > 12 || ct->day < 1 || ct->day > mdays[ct->mon - 1])
                return false;
        return !(ct->mon == 2 && ct->day == 29 && !leap);
}

/*
 * "YYYY-MM-DD" [("T"|"t"|" ") "HH:MM" [":SS" ["." 1*9DIGIT]]] ["Z"|"z"|("+"|"-") "HH:MM"].
 * strict (a record) requires the seconds and the zone, as RFC 3339 does. Leap second 60 is
 * accepted and counts as the next second.
 */
static int parse_civil(const char *s, size_t len, bool strict, struct civil *ct)
{
        const char *p = s, *end = s + len;

        *ct = (struct civil){0};
        ct->year = take_digits(&p, end, 4);
        if (ct->year < 0 || !take_char(&p, end, '-'))
                return -EINVAL;
        ct->mon = take_digits(&p, end, 2);
        if (ct->mon < 0 || !take_char(&p, end, '-'))
                return -EINVAL;
        ct->day = take_digits(&p, end, 2);
        if (ct->day < 0 || !date_valid(ct))
                return -EINVAL;
        if (p == end)
                return strict ? -EINVAL : 0;
        if (*p != 'T' && *p != 't' && *p != ' ')
                return -EINVAL;
        p++;
        ct->hour = take_digits(&p, end, 2);
        if (ct->hour < 0 || ct->hour > 23 || !take_char(&p, end, ':'))
                return -EINVAL;
        ct->min = take_digits(&p, end, 2);
        if (ct->min < 0 || ct->min > 59)
                return -EINVAL;
        if (take_char(&p, end, ':')) {
                ct->sec = take_digits(&p, end, 2);
                if (ct->sec < 0 || ct->sec > 60)
                        return -EINVAL;
                if (take_char(&p, end, '.')) {
                        long scale = 100000000;
                        const char *frac = p;

                        for (; p < end && *p >= '0' && *p <= '9'; p++) {
                                if (p - frac >= 9)
                                        return -EINVAL;
                                ct->nsec += (*p - '0') * scale;
                                scale /= 10;
                        }
                        if (p == frac)
                                return -EINVAL;
                }
        } else if (strict) {
                return -EINVAL;
        }
        if (parse_zone(p, end, ct) < 0 || (strict && !ct->has_zone))
                return -EINVAL;
        return 0;
}

static int civil_to_ns(const struct civil *ct, int64_t *ret_ns)
{
        int64_t secs, ns;

        if (ct->has_zone) {
                secs = days_from_civil(ct->year, ct->mon, ct->day) * 86400 + ct->hour * 3600 +
                       ct->min * 60 + ct->sec - ct->zone_sec;
        } else {
                /* No zone: local time, as docker's and podman's --since read it. */
                struct tm tm = {
                        .tm_year = ct->year - 1900,
                        .tm_mon = ct->mon - 1,
                        .tm_mday = ct->day,
                        .tm_hour = ct->hour,
                        .tm_min = ct->min,
                        .tm_sec = ct->sec,
                        .tm_isdst = -1,
                };
                time_t t = mktime(&tm);

                if (t == (time_t)-1 && tm.tm_year != 69)
                        return -ERANGE;
                secs = (int64_t)t;
        }
        if (__builtin_mul_overflow(secs, NSEC_PER_SEC, &ns) ||
            __builtin_add_overflow(ns, (int64_t)ct->nsec, &ns))
                return -ERANGE;
        *ret_ns = ns;
        return 0;
}

int engine_log_parse_timestamp(const char *s, size_t len, int64_t *ret_ns)
{
        struct civil ct;
        int r;

        r = parse_civil(s, len, true, &ct);
        if (r < 0)
                return r;
        return civil_to_ns(&ct, ret_ns);
}

int engine_log_parse_record(const char *line, size_t len, struct engine_log_record *ret)
{
        const char *sp = memchr(line, ' ', MIN(len, (size_t)ENGINE_LOG_TIME_MAX + 1));
        const char *p, *end = line + len;
        struct engine_log_record rec = {0};

        if (!sp || engine_log_parse_timestamp(line, (size_t)(sp - line), &rec.ts_ns) < 0)
                return -EBADMSG;
        p = sp + 1;
        if (end - p < 8 || p[6] != ' ')
                return -EBADMSG;
        if (memcmp(p, "stdout", 6) == 0)
                rec.stream = ENGINE_LOG_STDOUT;
        else if (memcmp(p, "stderr", 6) == 0)
                rec.stream = ENGINE_LOG_STDERR;
        else
                return -EBADMSG;
        p += 7;
        if (*p != 'F' && *p != 'P')
                return -EBADMSG;
        rec.partial = *p++ == 'P';
        /* CRI reserves further ':'-separated tags ("F:x"); none is defined, so skip them. */
        if (p < end && *p == ':')
                while (p < end && *p != ' ')
                        p++;
        if (p < end && *p++ != ' ')
                return -EBADMSG;
        rec.content = p;
        rec.content_len = (size_t)(end - p);
        *ret = rec;
        return 0;
}

static bool is_digit(char c)
{
        return c >= '0' && c <= '9';
}

/*
 * Digits with an optional fraction at *p: "90", "1.5", ".5". The fraction keeps 9 digits
 * (nanoseconds); more are read and ignored. Returns -EINVAL without digits, -ERANGE past int64.
 */
static int take_decimal(const char **p, int64_t *ret_whole, int64_t *ret_frac, int64_t *ret_scale)
{
        const char *s = *p;
        int64_t whole = 0, frac = 0, scale = 1;
        bool digits = false;

        for (; is_digit(*s); s++, digits = true)
                if (__builtin_mul_overflow(whole, 10, &whole) ||
                    __builtin_add_overflow(whole, *s - '0', &whole))
                        return -ERANGE;
        if (*s == '.') {
                for (s++; is_digit(*s); s++, digits = true) {
                        if (scale < NSEC_PER_SEC) {
                                frac = frac * 10 + (*s - '0');
                                scale *= 10;
                        }
                }
        }
        if (!digits)
                return -EINVAL;
        *p = s;
        *ret_whole = whole;
        *ret_frac = frac;
        *ret_scale = scale;
        return 0;
}

static int64_t unit_ns(const char *u, size_t len)
{
        static const struct {
                const char *name;
                int64_t ns;
        } units[] = {
                {"ns", 1},
                {"us", 1000},
                {"\xc2\xb5s", 1000}, /* U+00B5 micro sign, as Go accepts */
                {"\xce\xbcs", 1000}, /* U+03BC Greek mu */
                {"ms", 1000000},
                {"s", NSEC_PER_SEC},
                {"m", 60 * NSEC_PER_SEC},
                {"h", 3600 * NSEC_PER_SEC},
        };

        for (size_t i = 0; i < ARRAY_SIZE(units); i++)
                if (strlen(units[i].name) == len && memcmp(units[i].name, u, len) == 0)
                        return units[i].ns;
        return 0;
}

/* Go's time.ParseDuration without a sign: one or more <decimal><unit>, "1h30m", "1.5s". */
static int parse_duration(const char *text, int64_t *ret_ns, struct rctr_error *err)
{
        const char *p = text;
        int64_t total = 0;

        while (*p) {
                int64_t whole, frac, scale, unit, v;
                const char *u;
                __int128 part;
                int r;

                r = take_decimal(&p, &whole, &frac, &scale);
                if (r == -ERANGE)
                        return rctr_error_set(err, EINVAL, "invalid duration \"%s\": too large",
                                              text);
                if (r < 0)
                        return rctr_error_set(err, EINVAL, "invalid time \"%s\": expected %s", text,
                                              TIME_FORMS);
                for (u = p; *p && !is_digit(*p) && *p != '.'; p++)
                        ;
                if (p == u)
                        return rctr_error_set(err, EINVAL,
                                              "invalid duration \"%s\": a number needs a unit (%s)",
                                              text, DURATION_UNITS);
                unit = unit_ns(u, (size_t)(p - u));
                if (!unit)
                        return rctr_error_set(
                                err, EINVAL,
                                "invalid duration \"%s\": unknown unit \"%.*s\" (use %s)", text,
                                (int)MIN(p - u, 16), u, DURATION_UNITS);
                part = (__int128)whole * unit + (__int128)frac * unit / scale;
                if (part > INT64_MAX || __builtin_add_overflow(total, (int64_t)part, &v))
                        return rctr_error_set(err, EINVAL, "invalid duration \"%s\": too large",
                                              text);
                total = v;
        }
        *ret_ns = total;
        return 0;
}

/* "1700000000" or "1700000000.25": seconds since the epoch. */
static int parse_unix(const char *text, int64_t *ret_ns, struct rctr_error *err)
{
        const char *p = text;
        int64_t whole, frac, scale, ns;

        if (take_decimal(&p, &whole, &frac, &scale) < 0 || *p ||
            __builtin_mul_overflow(whole, NSEC_PER_SEC, &ns) ||
            __builtin_add_overflow(ns, frac * (NSEC_PER_SEC / scale), &ns))
                return rctr_error_set(err, EINVAL, "invalid time \"%s\": unix seconds out of range",
                                      text);
        *ret_ns = ns;
        return 0;
}

static bool looks_like_date(const char *s)
{
        return is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) && s[4] == '-';
}

int engine_log_parse_time(const char *text, int64_t now_ns, int64_t *ret_ns, struct rctr_error *err)
{
        size_t len = strlen(text), n_dots = 0, n_digits = 0;
        struct civil ct;
        int64_t d = 0;
        int r;

        for (size_t i = 0; i < len; i++) {
                n_digits += is_digit(text[i]);
                n_dots += text[i] == '.';
        }
        if (len > 0 && n_digits + n_dots == len && n_dots <= 1)
                return parse_unix(text, ret_ns, err);
        if (len >= 5 && looks_like_date(text)) {
                r = parse_civil(text, len, false, &ct);
                if (r == 0)
                        r = civil_to_ns(&ct, ret_ns);
                if (r == -ERANGE)
                        return rctr_error_set(err, EINVAL, "invalid time \"%s\": out of range",
                                              text);
                if (r < 0)
                        return rctr_error_set(err, EINVAL,
                                              "invalid time \"%s\": not an RFC 3339 time "
                                              "(2026-12-01T03:04:05Z, 2026-12-01T03:04:05.5+01:00)",
                                              text);
                return 0;
        }
        if (len > 0 && (is_digit(text[0]) || text[0] == '.')) {
                r = parse_duration(text, &d, err);
                if (r < 0)
                        return r;
                *ret_ns = now_ns - d;
                return 0;
        }
        return rctr_error_set(err, EINVAL, "invalid time \"%s\": expected %s", text, TIME_FORMS);
}
