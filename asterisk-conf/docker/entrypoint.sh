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
      -e "s/CHANGE_ME_WEBPHONE_PASSWORD/${WEBPHONE_PASSWORD:-webphone-lab-password}/g" \
      "$f" > "/etc/asterisk/$(basename "$f")"
done
for f in /etc/asterisk-lab/*.conf; do [ -e "$f" ] && cp "$f" "/etc/asterisk/$(basename "$f")"; done
# A self-signed certificate for the lab's WSS (web phone) when none is mounted.
mkdir -p /etc/asterisk/keys
if [ ! -s /etc/asterisk/keys/asterisk.pem ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=${LAB_HOSTNAME:-localhost}" \
    -keyout /etc/asterisk/keys/asterisk.key -out /etc/asterisk/keys/asterisk.pem 2>/dev/null
fi
chown -R asterisk:asterisk /etc/asterisk
exec /usr/sbin/asterisk -f -U asterisk -G asterisk
