/* Private to src/extract (generic*.c): the words by which
 * the generic finder recognises a bounce it has no layout for.  Tables,
 * not code, so that a language or a wording is a one-line addition; each
 * group says where the wording is
 * documented.  Everything is compared case-insensitively (UTF-8 case
 * folding) as a substring unless the table says "prefix". */
#pragma once

#include <glib.h>

/* Senders that announce a notice from the mail system itself: RFC 5321
 * §4.5.1 (postmaster), RFC 3834 §3.1.1 and the MTAs' own defaults
 * (Sendmail "Mail Delivery Subsystem", Postfix "Mail Delivery System",
 * Exim "Mail Delivery System", qmail MAILER-DAEMON, MMDF, Exchange
 * "postmaster@", Lotus Notes/Domino "Mail Router", MDaemon). */
static const char *const gen_daemon_senders[] = {
    "mailer-daemon", "mailer_daemon", "maildaemon", "mail-daemon", "postmaster", "mail delivery",
    "maildelivery", "mail administrator", "mail router", "mmdf", "mdaemon", "mail system",
    "delivery subsystem", "nicht zustellbar", "non remis",
    /* Vietnamese "Mail Delivery Subsystem" as Yahoo's Vietnamese help names
     * the sender of a returned mail ("MAILER-DAEMON" hoặc một "Hệ thống
     * phụ Gửi Thư", vn.trogiup.yahoo.com sln3275) */
    "hệ thống phụ gửi thư", NULL
};

/* Subject wording of delivery failure notices.  English: Sendmail
 * ("Returned mail: see transcript for details"), Postfix ("Undelivered Mail
 * Returned to Sender", "Delayed Mail (still being retried)"), Exim ("Mail
 * delivery failed: returning message to sender", "Warning: message …
 * delayed"), qmail ("failure notice"), Exchange ("Undeliverable:",
 * "Delivery Status Notification (Failure|Delay)"), Notes ("DELIVERY
 * FAILURE:", "DELIVERY REPORT"), Gmail ("Delivery Status Notification",
 * "Delivery incomplete"); other languages from Exchange's localised NDR
 * subjects (Microsoft Learn, "Non-delivery reports in Exchange Online")
 * and the webmail/carrier notices of the German, French, Japanese and
 * Chinese providers. */
static const char *const gen_bounce_subjects[] = {
    "undeliver", "undelivered", "delivery status notification", "delivery failure", "delivery failed",
    "delivery has failed", "delivery notification", "delivery report", "delivery problem",
    "delivery incomplete", "delayed mail", "returned mail", "returning message", "failure notice",
    "mail delivery failed", "non-delivery", "nondelivery", "non delivery", "could not be delivered",
    "couldn't be delivered", "not delivered", "message not delivered", "mail failure",
    "warning: message", "delivery error", "delivery delayed", "undeliverable",
    /* subjects of smaller MTAs that PHP-Bounce-Handler's bounce-subject list
     * (bounce_driver.class.php) names */
    "nondeliverable", "returned email", "returned e-mail", "returned to sender",
    "mail transaction failed", "failure delivery", "message delayed",
    /* Courier's "NOTICE: mail delivery status." (courier/module.dsn) */
    "mail delivery status",
    /* German */
    "unzustellbar", "nicht zustellbar", "zustellung fehlgeschlagen", "fehler bei der zustellung",
    "nicht zugestellt", "zustellungsbericht", "unzustellbare",
    /* French */
    "non remis", "non distribuable", "échec de la remise", "echec de la remise", "échec de remise",
    "non délivré", "non delivre", "rapport de non-remise", "message non remis", "erreur de distribution",
    /* Spanish, Portuguese, Italian, Dutch */
    "no se puede entregar", "no entregado", "error de entrega", "não entregue", "não foi possível entregar",
    "mancato recapito", "non recapitabile", "onbestelbaar", "niet bezorgd",
    /* Japanese, Chinese, Korean */
    "配信エラー", "配送エラー", "不達", "未配達", "エラーメール", "送信できませんでした", "配信不能",
    /* Trend Micro InterScan's Japanese subjects (its layout, Lhost/InterScanMSS.pm) */
    "配信に失敗", "配信できません",
    "退信", "投递失败", "未能送达", "无法投递", "發送失敗", "전달되지", "반송",
    /* Russian, Polish */
    "не доставлено", "недоставленное", "niedostarczon",
    /* Spanish Outlook's "Sin entregar: <subject>" (the client's own
     * non-delivery notice, as quoted on pastebin.com/9LAaRhhi) and
     * Swedish Exchange's delay subject "Fördröjd leverans:"
     * (pastebin.com/1wwHRNXn) */
    "sin entregar", "fördröjd leverans",
    /* Exchange's "Undeliverable:" as Czech, Hungarian and Polish clients
     * show it ("Nedoručitelné:", "Kézbesíthetetlen:", "Niedostarczalne:")
     * and the Polish "Zwrot do nadawcy", as the bounce filters of mail
     * tools in public repositories match them */
    "nedoručitelné", "kézbesíthetetlen", "niedostarczalne", "zwrot do nadawcy",
    /* Exchange's "Undeliverable:" in Swedish, Norwegian/Danish, Finnish,
     * Icelandic, Russian, Czech, Korean and Chinese, and "Error en la
     * entrega", as mail tools' bounce filters in public repositories match
     * the subjects: a CargoWise MarketingManager BounceBackEmailProcessor
     * ("Ekki hægt að afhenda", "Kan ikke leveres", "Olevererbart",
     * "Zprávu nelze doručit", "Не удается доставить", "배달되지 않음",
     * "未送达", "Nie można dostarczyć"), a getBouncingEmails.php IMAP tool
     * ("Ei voitu toimittaa", "Kan ikke leveres", "Olevererbart", "Error en
     * la entrega"), ZendeskTools' CleanSuspended ("Kan ikke leveres:") and
     * sisimai's Go lhost code (subject prefix "Olevererbart") */
    "olevererbart", "kan ikke leveres", "ei voitu toimittaa", "ekki hægt að afhenda",
    "не удается доставить", "zprávu nelze doručit", "배달되지 않음", "未送达", "error en la entrega",
    "nie można dostarczyć",
    /* Vietnamese: the subject of a returned mail, "tương tự như "Không gửi
     * được"" (Yahoo's Vietnamese help, vn.trogiup.yahoo.com sln3275) */
    "không gửi được",
    NULL
};

/* Bounce subjects that announce a report of any outcome, not a failure:
 * RFC 3464 notices of success and delay share them (Exchange's and
 * Gmail's "Delivery Status Notification (Relay|Delay|Success)", Notes'
 * "DELIVERY REPORT", German "Zustellungsbericht"). */
static const char *const gen_report_subjects[] = {
    "delivery status notification", "delivery notification", "delivery report", "zustellungsbericht",
    "delayed mail", "delivery delayed", "message delayed", "warning: message", "mail delivery status", NULL
};

/* Words that say a delivery failed, on the line that names a recipient or
 * next to it.  From the MTAs' notice templates (Postfix bounce.cf,
 * Sendmail's "Deferred:"/"... User unknown" lines, Exim's "all
 * deliveries failed" / "retry timeout exceeded", qmail-send's "Sorry, I
 * couldn't deliver", Exchange's NDR texts, Notes' "was not delivered to"),
 * RFC 3463's subject descriptions and the localised NDR texts. */
static const char *const gen_failure_words[] = {
    "could not be delivered", "couldn't be delivered", "could not deliver", "couldn't deliver",
    "cannot be delivered", "can't be delivered", "could not be sent", "unable to deliver",
    "was not delivered", "not be delivered", "delivery failed", "delivery has failed",
    "delivery to the following", "failed permanently", "permanent error", "permanent failure",
    "fatal error", "undeliverable", "undelivered", "did not reach", "failed to deliver",
    "failed recipient", "failed", "delivery error", "delivery failure", "rejected", "refused", "denied",
    "does not exist", "doesn't exist", "no such user", "no such mailbox", "user unknown",
    "unknown user", "unknown recipient", "invalid recipient", "invalid address", "address not found",
    "mailbox unavailable", "mailbox not found", "mailbox is full", "mailbox full", "over quota",
    "quota exceeded", "exceeded the quota", "not found", "not known", "is unavailable",
    "retry timeout", "giving up", "gave up", "could not be reached", "was not accepted",
    /* Exim's error for an address whose hosts have all been failing past
     * their retry rules' cutoff (the Exim specification, "Retry
     * configuration": "retry time not reached for any host after a long
     * failure period") */
    "retry time not reached",
    /* hMailServer's codeless reason under an address it gave up on, kept
     * when a site rewrites the SEND_FAILED_NOTIFICATION text around
     * %MACRO_RECIPIENTS%: "Error Description: No mail servers appear to
     * exists for the recipient's address." (hmailserver SMTP/
     * ExternalDelivery.cpp) */
    "no mail servers appear to exist",
    "all deliveries failed", "disabled", "inactive", "locked", "suspended", "no longer",
    "delayed", "not yet been delivered", "still being retried", "will retry", "will be retried",
    /* Exchange's delay notice "The message hasn't been delivered yet.
     * Delivery will continue to be attempted." (as gateway.ctsltd.net's
     * "I have received a delivery delayed error message" article quotes
     * it), also written out ("has not been delivered yet") */
    "hasn't been delivered yet", "not been delivered yet",
    /* Gmail's and Exchange's subject "Delivery Status Notification (Failure)";
     * Gmail's "There was a problem delivering your message to ADDR", DragonFly
     * dma's "There was an error delivering your mail to <ADDR>" (dma's
     * net.c/mail.c bounce text); Exchange's "Delivery to these recipients
     * or groups has been postponed" */
    "(failure)", "problem delivering", "error delivering", "postponed",
    /* Exchange 2007/2010's NDR text for 5.1.1 "The e-mail address you
     * entered couldn't be found. Please check the recipient's e-mail
     * address and try to resend the message." (Microsoft's "Exchange
     * Server 2007 DSN messages" table) */
    "couldn't be found", "could not be found",
    /* Lotus Notes/Domino router notices: a "Failure Reasons" section with
     * "User not listed in public Name & Address Book", "… hop count" */
    "failure reason", "not listed in", "hop count",
    /* older MTAs whose notices a mailing-list manager's analyser reads
     * (Sympa's anabounce, Bounce.pm): "The following recipients haven't
     * received this message:", "-----Message not delivered to the
     * following:", "Mailbox unknown", the subject "Returned mail: message
     * not deliverable: <ADDR>" */
    "haven't received this message", "have not received this message", "did not receive this message",
    "didn't receive this message", "not delivered to", "mailbox unknown", "not deliverable",
    /* CompuServe's "Invalid receiver address:" (GNU Mailman 2,
     * Bouncers/Compuserve.py) */
    "invalid receiver",
    /* German */
    "konnte nicht zugestellt", "zugestellt werden", "nicht zugestellt", "unzustellbar", "zustellung fehlgeschlagen",
    "existiert nicht", "unbekannt", "postfach ist voll", "abgelehnt", "verzögert",
    /* German Exchange NDRs: "Fehler bei der Nachrichtenzustellung an
     * folgende Empfänger oder Gruppen:", "… konnte nicht gefunden werden"
     * (pastebin.com/BsjRCWQL), Outlook's "Ihre Nachricht hat einige oder
     * alle Empfänger nicht erreicht." / "Folgende(r) Empfänger
     * kann/können nicht erreicht werden:" (pastebin.com/dUJNHrB0) */
    "fehler bei der nachrichtenzustellung", "nicht gefunden werden", "nicht erreicht",
    /* French */
    "n'a pas pu être remis", "n'a pas pu être distribué", "n'a pas pu etre remis", "non remis",
    "impossible de remettre", "impossible de distribuer", "échec", "n'existe pas", "introuvable",
    "inconnu", "refusé", "boîte aux lettres pleine", "retardé",
    /* Spanish, Portuguese, Italian (also Outlook's translated NDR subjects
     * "No se puede entregar", "Non recapitabile") */
    "no se pudo entregar", "no pudo ser entregado", "no existe", "não foi possível entregar",
    "não existe", "impossibile recapitare", "non esiste", "no se ha podido entregar",
    "no se puede entregar", "no ha podido ser entregado", "non è stato recapitato",
    "non è stato possibile recapitare", "non recapitabile", "non è stato consegnato",
    "impossibile consegnare", "não pôde ser entregue", "não foi entregue",
    /* Exchange's pt-BR NDR "Falha na entrega aos seguintes destinatários
     * ou grupos:" (pastebin.com/BxEWDHGy); Spanish Outlook's "Algunos de
     * los destinatarios no recibieron su mensaje." / "No se puede
     * localizar a los destinatarios siguientes:" (pastebin.com/9LAaRhhi)
     * and Exchange's "No se pudo encontrar la dirección de correo
     * electrónico que escribiste" (pastebin.com/JHaPQHk7) */
    "falha na entrega", "no recibieron su mensaje", "no se puede localizar", "no se pudo encontrar",
    /* Japanese, Chinese */
    "配信できません", "配信できませんでした", "送信できませんでした", "届きませんでした", "存在しません",
    "宛先不明", "宛先が見つかりません", "受信拒否", "容量", "無効", "エラー",
    "无法投递", "投递失败", "不存在", "退回", "失败", "無法傳送",
    /* Czech: Seznam.cz's notice "Vaše zpráva pro <ADDR> ze dne … nemohla
     * být doručena." with "Permanentní chyba na straně uživatele."
     * (napoveda.seznam.cz/uzivatel-neexistuje) */
    "nemohla být doručena", "nemohla byt dorucena", "permanentní chyba",
    /* Polish: the translated qmail notice of Polish hosts "Bardzo nam
     * przykro, jednakże nie udało się wysłać maila pod wskazane adresy"
     * with "Zdalny host odpowiedział:" (kei.pl/pomoc/wiadmosc-zwrotna,
     * printed without diacritics there), and the providers' wording of a
     * returned mail, "wiadomość nie została dostarczona" / "nie mogła
     * zostać dostarczona" (pomoc.poczta.interia.pl, support.konto.pl) */
    "nie udało się wysłać", "nie udalo sie wyslac", "zdalny host odpowiedzia",
    "nie została dostarczona", "nie zostala dostarczona", "nie mogła zostać dostarczona",
    "nie można dostarczyć", "nie udało się dostarczyć",
    /* Korean: the portals' refusal sentences "… 수신을 차단하였습니다" (Naver)
     * and "… 수신을 거부하였습니다" (Daum), as foxydog.tistory.com/69 quotes
     * them */
    "수신을 차단", "수신을 거부",
    /* Korean Exchange's "다음 받는 사람 또는 그룹에 배달하지 못했습니다."
     * and the portals' "… 메일을 전달하지 못했습니다" */
    "배달하지 못했습니다", "전달하지 못했습니다",
    /* NetEase's "系统退信": the sentence "您发送给 ADDR 的邮件 … 未能成功投递"
     * is the notice (163's help centre, quoted on outofmemory.cn) */
    "未能成功投递", "未能投递",
    /* the same sentence with the other common verb for "delivered",
     * "未能(成功)送达", which the bounce subjects above already count as
     * failure wording ("您发给 ADDR 的邮件…未能成功送达") */
    "未能成功送达", "未能送达",
    /* Vietnamese: the returned-mail keywords Zing Mail's help explains
     * ("Không tìm thấy Host", the recipient's domain does not exist;
     * mail.zing.vn help 190) and the hosters' "địa chỉ email … không tồn
     * tại" (the address does not exist; hainhan.com, cdspvinhlong.edu.vn
     * lists of common bounce messages) */
    "không tìm thấy", "không tồn tại",
    NULL
};

/* Words of a warning about a delayed delivery, which is no failure yet:
 * Postfix's "delayed mail" notice ("THIS IS A WARNING ONLY.  YOU DO NOT
 * NEED TO RESEND YOUR MESSAGE"), Sendmail's "Warning: could not send
 * message for past 4 hours", Exim's "has not yet been delivered … will
 * keep trying", Exchange's "Delivery Status Notification (Delay)",
 * Gmail's "Delivery incomplete … will retry". */
static const char *const gen_delay_words[] = {
    "warning only", "do not need to resend", "don't need to resend", "no action is required",
    "not yet been delivered", "has not been delivered yet", "hasn't been delivered yet", "still being retried", "will retry",
    "will be retried", "will keep trying", "will continue trying", "will try again", "still trying",
    "could not send message for past", "delivery delayed", "delivery has been delayed",
    "delay", "temporarily deferred", "postponed", "verzögert", "retardé", "遅延", "延迟",
    /* Swedish Exchange's delay notice: "Leveransen till följande
     * mottagare eller grupper är försenad:", "Det här meddelandet har inte
     * levererats än. Fler försök att leverera kommer att göras."
     * (pastebin.com/1wwHRNXn) */
    "är försenad", "har inte levererats än", "fler försök att leverera",
    NULL
};

/* Words that say the failure is final: with these a notice is a failure
 * even if it also talks about earlier delays. */
static const char *const gen_final_words[] = {
    "permanent error", "permanent failure", "permanent fatal", "failed permanently", "giving up",
    "gave up", "retry timeout exceeded", "has been returned", "returned to sender",
    "will not be retried", "no further attempts", "all deliveries failed", NULL
};

/* Labels that introduce a failed recipient on its own line ("Recipient:
 * a@b"): RFC 3464 field names written in the text, Exchange and Notes
 * ("Recipient address:", "Failed Recipient:", "Intended recipient:"),
 * Alibaba-like notices, German/French/Japanese/Chinese webmail notices. */
static const char *const gen_recipient_labels[] = {
    "recipient", "recipients", "recipient address", "failed recipient", "failed recipients",
    "failed address", "failed addresses", "original recipient", "final recipient",
    "intended recipient", "invalid recipient", "unknown recipient", "address", "addressee",
    /* CompuServe's "Invalid receiver address:" (GNU Mailman 2's
     * Bouncers/Compuserve.py) */
    "receiver", "receiver address", "invalid receiver address",
    "original-recipient", "final-recipient", "x-failed-recipients", "empfänger", "empfaenger",
    "adresse", "destinataire", "destinatario", "destinatário", "宛先", "受信者", "送信先",
    "收件人", "收件者", "받는 사람",
    /* Polish webmail notices: "Adresat:", "Odbiorca:" (the words Interia's
     * and Onet's help pages use for the recipient) */
    "adresat", "odbiorca", NULL
};

/* The original's To:/Cc: as notices repeat it, in a few languages: the
 * address there is who the message was for, weak evidence of a failure. */
static const char *const gen_to_labels[] = {
    "to", "cc", "an", "à", "a", "para", "宛先", "收件人", NULL
};

/* Header fields of a message's header block; a text line that starts with
 * one of them names an address without explaining a failure (RFC 5322
 * §3.6).  "To:" and "Cc:" are not here: Exchange's old NDRs name the
 * failed recipient on a "To:" line. */
static const char *const gen_header_labels[] = {
    "from", "reply-to", "sender", "return-path", "message-id", "in-reply-to", "references",
    "received", "date", "subject", "sent", "dkim-signature", "list-id", "list-unsubscribe",
    "envelope-from", "x-original-sender", "mail from", "von", "de", "差出人", "发件人", "件名",
    "主题", "objet", "betreff", "asunto",
    /* "Sent:"/"Date:" as Chinese and Japanese webmail notices label the
     * original's date beside 收件人 and 主题 ("发送时间：2026-12-11 14:05"):
     * a date, never the reason */
    "发送时间", "發送時間", "发信时间", "送信日時",
    /* the same date in English: NHN Dooray!'s "Failure Notice" lists
     * "* Sent time : 2025-04-05T10:38:10" between the recipient and the
     * reply (quoted in github.com/ctgk/PRML/pull/46), grommunio's
     * delivery reports "Time:" (gromox's bounce templates) */
    "sent time", "time", NULL
};

/* Labels of a sender (whatever words come before them: "Blocked sender:",
 * "Envelope sender:"): a quarantine digest or a policy notice lists
 * senders, and a sender is never a failed recipient. */
static const char *const gen_sender_words[] = {
    "sender", "absender", "expéditeur", "expediteur", "remitente", "mittente", "差出人", "发件人",
    "寄件者", "送信者", NULL
};

/* Lines that introduce the diagnostic without being it (they end with a
 * colon, or are one of these sentences): Exchange "for the following
 * reason", Postfix "The mail system", Gmail "Technical details of
 * permanent failure", Exim "The following address(es) failed", Notes
 * "was not delivered to:", Exchange "Diagnostic information for
 * administrators". */
static const char *const gen_lead_ins[] = {
    "for the following reason", "the following reason", "for this reason", "the mail system",
    "technical details of", "the error that the other server returned", "diagnostic information",
    "the following address", "the following recipient", "the following message", "remote server said",
    "remote server returned", "reporting-mta", "generating server", "this is the mail system",
    "this message was created automatically", "this is an automatically generated",
    "i'm sorry to have to inform you", "i'm afraid i wasn't able", "hi. this is the",
    "please do not reply", "if you need help", "for further assistance", "for more information",
    "original message", "original recipient", "do not reply", "see the attached",
    /* the same Exchange and qmail lead-ins, localized: German
     * "Diagnoseinformationen für Administratoren:" (pastebin.com/BsjRCWQL),
     * Swedish "Diagnostisk information för administratörer:"
     * (pastebin.com/1wwHRNXn), pt-BR "Informações de diagnóstico para
     * administradores:" (pastebin.com/BxEWDHGy), Spanish "Información de
     * diagnóstico para los administradores:" (pastebin.com/JHaPQHk7),
     * Polish qmail "Przyczyna wskazana jest poniżej:" (kei.pl) */
    "diagnoseinformationen", "diagnostisk information", "informações de diagnóstico",
    "información de diagnóstico", "przyczyna wskazana jest poniżej", "przyczyna wskazana jest ponizej",
    /* French and Italian Exchange: "Informations de diagnostic pour les
     * administrateurs", "Informazioni di diagnostica per gli
     * amministratori" (sisimai's Lhost/Exchange2007.pm; Microsoft
     * Support's it-IT "Failed delivery messages from the postmaster") */
    "informations de diagnostic", "informazioni di diagnostica",
    /* Seznam.cz's bilingual notice repeats the failure in English under the
     * Czech sentence ("You message for <ADDR> from … could not be
     * delivered. / It's attached below.", napoveda.seznam.cz), and the
     * reason comes after both */
    "you message for", "it's attached below", "zpráva je přiložena",
    NULL
};

/* Role mailboxes of a mail system: never a failed recipient here (RFC 2142). */
static const char *const gen_role_locals[] = {
    "mailer-daemon", "mailer_daemon", "postmaster", "hostmaster", "abuse", "noreply", "no-reply",
    "do-not-reply", "donotreply", "bounce", "bounces", NULL
};

/* Lines after which the text is a copy of the original message (the
 * notices of Postfix, Exim, qmail, Exchange, Notes, Gmail and others;
 * compared as a prefix after leading dashes and spaces). */
static const char *const gen_original_markers[] = {
    "original message", "below this line is a copy", "this is a copy of the message",
    /* Exim's moan.c for a message it refused part-way */
    "this is a copy of the headers that were received before the error",
    "unsent message", "returned message", "message headers follow", "included is a copy",
    "the original message", "a copy of the original message", "undelivered message",
    "ursprüngliche nachricht", "message d'origine", "message original", "mensaje original",
    "元のメッセージ", "原始邮件",
    /* Exchange's localized "Original message headers:": German
     * "Ursprüngliche Nachrichtenköpfe:", Swedish "Ursprungshuvuden:",
     * pt-BR "Cabeçalhos de mensagem originais:", Spanish "Encabezados de
     * mensajes originales:" (the pastebin.com notices cited above) */
    "ursprüngliche nachrichtenköpfe", "ursprungshuvuden", "cabeçalhos de mensagem originais",
    "encabezados de mensajes originales",
    /* French "En-têtes de message d'origine :", Italian "Intestazioni
     * originali del messaggio:" (sisimai's Lhost/Exchange2007.pm) */
    "en-têtes de message d'origine", "intestazioni originali del messaggio", NULL
};

/* Labels whose value is the diagnostic itself ("Reason: …"); the label
 * goes, the value stays.  Exchange/Notes "Reason:", Alibaba-like
 * "Reason:"/"Reply:", German "Grund:", French "Raison :", Spanish/Italian
 * "Motivo:", Japanese/Chinese "理由:"/"原因:". */
static const char *const gen_reason_labels[] = {
    "reason", "error", "diagnostic", "diagnostic-code", "details", "reply", "remote server said",
    "grund", "fehler", "raison", "motif", "erreur", "motivo", "errore", "理由", "原因", "エラー内容",
    "错误",
    /* Czech Seznam "Důvod / Reason:" (napoveda.seznam.cz), Polish
     * "Przyczyna:" (kei.pl), Spanish Outlook "Error del servidor:"
     * (pastebin.com/9LAaRhhi) */
    "důvod", "důvod / reason", "przyczyna", "error del servidor",
    /* QQ Mail's "退信原因：" (the reason a returned mail gives, as
     * qqmailbox.com's list of bounce reasons heads it) */
    "退信原因",
    /* NHN Dooray!'s "* Remote host said :" heading the remote server's
     * words on the line below (github.com/ctgk/PRML/pull/46,
     * github.com/run-youngjoo/SC-FEGAN/issues/51); qmail's own label */
    "remote host said", NULL
};
