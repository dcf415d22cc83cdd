/* autoreply — the vocabulary of the RFC 3834 auto-reply decoder
 * (autoreply.c): its header marks and word lists are data, the
 * `autoreply:` map of the layout files (rules/layouts/autoreply.yaml,
 * schema in rules/layouts/README.md), read by layout-vocab.c with the
 * layouts and kept in BtLayouts.  A later directory's lists add to an
 * earlier one's. */
#pragma once

#include <glib.h>

/* A header field an auto-responder sets, with the word its value must
 * hold, lower case (NULL: any value). */
typedef struct {
    char *name;
    char *value;
} BtHeaderMarker;

/* The lists of header marks (BtHeaderMarker*). */
typedef enum {
    BT_AR_HEADER_MARKERS,    /* each alone marks an auto-reply */
    BT_AR_MACHINE_MARKERS,   /* a machine's mail: only beside absence wording */
    BT_AR_LIST_MARKERS,      /* a list's message */
    BT_AR_BULK_MARKERS,      /* bulk mail: only against subject topics */
    BT_AR_N_MARKER_LISTS
} BtAutoreplyMarkerList;

/* The lists of words (char*). */
typedef enum {
    BT_AR_ABSENCE_PHRASES,
    BT_AR_SUBJECT_LABELS,    /* at the subject's start, compared as written */
    BT_AR_SUBJECT_TOPICS,    /* at the subject's start, compared as written */
    BT_AR_SUBJECT_LABELS_ANYWHERE,
    BT_AR_SUBJECT_TOPICS_ANYWHERE,
    BT_AR_BOUNCE_SENDERS,
    BT_AR_BOUNCE_SUBJECTS,
    BT_AR_CHALLENGE_PHRASES,
    BT_AR_ACK_PHRASES,       /* a ticket system's receipt: with machine marks, on a reply */
    BT_AR_N_WORD_LISTS
} BtAutoreplyWordList;

typedef struct _BtAutoreplyVocab {
    GPtrArray *markers[BT_AR_N_MARKER_LISTS];
    GPtrArray *words[BT_AR_N_WORD_LISTS];
} BtAutoreplyVocab;

/* The YAML keys of the lists, in enum order. */
extern const char *const bt_autoreply_marker_keys[BT_AR_N_MARKER_LISTS];
extern const char *const bt_autoreply_word_keys[BT_AR_N_WORD_LISTS];

/* Is word list `list` compared as written with a case-folded text (so an
 * entry must be written case-folded), rather than folded itself? */
gboolean bt_autoreply_words_as_written(BtAutoreplyWordList list);

/* Empty lists. */
BtAutoreplyVocab *bt_autoreply_vocab_new(void);
void bt_autoreply_vocab_free(BtAutoreplyVocab *vocab);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BtAutoreplyVocab, bt_autoreply_vocab_free)
