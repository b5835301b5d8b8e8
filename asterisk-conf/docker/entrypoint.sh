#!/bin/sh
# Fills the secrets of the mounted configuration from the environment (the files keep CHANGE_ME_* placeholders),
# then runs Asterisk in the foreground as the asterisk user.
set -eu
: "${ARI_PASSWORD:?ARI_PASSWORD must be set}"
mkdir -p /etc/asterisk
for f in /etc/asterisk-template/*.conf; do
  sed -e "s/CHANGE_ME_ARI_PASSWORD/${ARI_PASSWORD}/g" \
      -e "s/CHANGE_ME_ALICE_PASSWORD/${ALICE_PASSWORD:-alice-lab-password}/g" \
      -e "s/CHANGE_ME_BOB_PASSWORD/${BOB_PASSWORD:-bob-lab-password}/g" \
      "$f" > "/etc/asterisk/$(basename "$f")"
done
for f in /etc/asterisk-lab/*.conf; do [ -e "$f" ] && cp "$f" "/etc/asterisk/$(basename "$f")"; done
chown -R asterisk:asterisk /etc/asterisk
exec /usr/sbin/asterisk -f -U asterisk -G asterisk
