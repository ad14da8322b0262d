# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_deskhook_global_optspecs
    string join \n color= h/help V/version
end

function __fish_deskhook_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_deskhook_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_deskhook_using_subcommand
    set -l cmd (__fish_deskhook_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c deskhook -n "__fish_deskhook_needs_command" -l color -d 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t''
never\t''"
complete -c deskhook -n "__fish_deskhook_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c deskhook -n "__fish_deskhook_needs_command" -s V -l version -d 'Print version'
complete -c deskhook -n "__fish_deskhook_needs_command" -f -a "send" -d 'Send realistic, signed callbacks and validate the answers'
complete -c deskhook -n "__fish_deskhook_needs_command" -f -a "listen" -d 'Run the built-in receiver: inspect, verify, answer and capture incoming callbacks'
complete -c deskhook -n "__fish_deskhook_needs_command" -f -a "replay" -d 'Send captured callbacks again, bodies byte-for-byte as captured'
complete -c deskhook -n "__fish_deskhook_needs_command" -f -a "flow" -d 'Play a whole conversation, each step driven by the backend\'s answers'
complete -c deskhook -n "__fish_deskhook_needs_command" -f -a "flows" -d 'List the built-in conversation scenarios'
complete -c deskhook -n "__fish_deskhook_needs_command" -f -a "events" -d 'List every event deskhook can send'
complete -c deskhook -n "__fish_deskhook_needs_command" -f -a "validate" -d 'Check one JSON document against an event\'s request or response envelope, offline'
complete -c deskhook -n "__fish_deskhook_needs_command" -f -a "schema" -d 'Print the JSON Schema deskhook validates an event\'s request or response against'
complete -c deskhook -n "__fish_deskhook_needs_command" -f -a "sign" -d 'Print RequestTime and Sign for a token, as the platform computes them'
complete -c deskhook -n "__fish_deskhook_needs_command" -f -a "verify" -d 'Check the signature of a full callback URL and say exactly what is wrong'
complete -c deskhook -n "__fish_deskhook_needs_command" -f -a "audit" -d 'Probe one backend: does it refuse forged, stale and foreign callbacks, and take odd valid ones?'
complete -c deskhook -n "__fish_deskhook_needs_command" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c deskhook -n "__fish_deskhook_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -l to -d 'The callback URL (optional: without it, an in-process receiver on a loopback port answers)' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -l provider -d 'Send every event of one provider' -r -f -a "tencent\t'Tencent Cloud Contact Center (Desk) callbacks'
huawei\t'Huawei Cloud CEC message push'"
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -l set -d 'Override a body field: dotted PATH (`MsgBody.0.MsgContent.Text`), VALUE parsed as JSON when it parses, else a string. Repeatable' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -l unset -d 'Remove a body field (dotted PATH). Repeatable' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -l body -d 'Send this JSON body instead of the built-in one (still signed, still validated); `-` reads stdin' -r -F
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -l sdkappid -d 'SDKAppID sent as the `SdkAppid` URL parameter' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -l token -d 'Callback token: Tencent `Sign`/`RequestTime` parameters, CEC `Authorization: Bearer`' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -l client-ip -d 'The `ClientIP` URL parameter' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -l platform -d 'The `OptPlatform` URL parameter (Desk\'s value is undocumented: RESTAPI by default)' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -l query -d 'Add or replace a URL parameter (for example RequestID=fixed-1). Repeatable' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -l timeout -d 'Give up on an answer after DUR (the platform\'s limit is 2s); a slower answer is a transport failure' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -l max-latency -d 'An answer slower than DUR counts as a failed check (default: the timeout)' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -l retries -d 'Re-deliver a failed callback up to N times (at most 100), with the same RequestID, as the platform does' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -l backoff -d 'Wait DUR before the first retry, doubling before each further one' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -l expect -d 'What the answers must say: ok (a success envelope), fail (a failure envelope), refused (a 4xx or a failure envelope), or any well-formed envelope' -r -f -a "ok\t'A success envelope (`ActionStatus` OK / `resultCode` "0")'
fail\t'A well-formed failure envelope (`ActionStatus` FAIL / `resultCode` not "0")'
refused\t'A refusal: a 4xx (any body) or a failure envelope; a 5xx passes with a warning'
any\t'Any well-formed envelope'"
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -s H -l header -d 'Add a header to every request (\'Name: value\'), for an API gateway. Repeatable' -r -f
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -l cacert -d 'Also trust the CA certificates in FILE (PEM) for https:// URLs (a private CA)' -r -F
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -s n -l count -d 'Send each event (or run the scenario) N times, each with fresh ids' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -s c -l concurrency -d 'At most C requests (or scenario runs) in flight at once' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -l rate -d 'At most R requests per second' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -l seed -d 'Seed every random choice (ids, texts, RequestID) for byte-identical output' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -l now -d 'Take NOW (Unix milliseconds, up to the year 9999) as the current time for EventTime and RequestTime' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -l format -d 'Output format on stdout' -r -f -a "human\t'One line per request on stdout'
json\t'JSON Lines, one object per request, then a summary object'
junit\t'A JUnit XML report, one test case per request'"
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -l color -d 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t''
never\t''"
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -s a -l all -d 'Send every event in the catalogue'
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -l dry-run -d 'Print the URL, headers and body that would be sent; send nothing'
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -l insecure -d 'Do not check TLS certificates at all (said on stderr): for a test backend only'
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -s v -l verbose -d 'Show request and answer bodies (human format)'
complete -c deskhook -n "__fish_deskhook_using_subcommand send" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -l host -d 'Address to bind' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -s p -l port -d 'Port to bind; 0 picks a free one (the ready line tells which)' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -l sdkappid -d 'Refuse (403) callbacks whose `SdkAppid` is not ID' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -l token -d 'Check `Sign`/`RequestTime` (Tencent) and `Authorization: Bearer` (CEC) against TOKEN' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -l tolerance -d 'Accepted clock difference for `RequestTime`' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -l respond -d 'Answer: ok (documented success envelope), fail (documented failure envelope) or a JSON FILE' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -l agents -d 'Agents returned to ChatBot.OnAssignAgent/OnAssignHuman (comma-separated)' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -l group -d 'Agent group returned to ChatBot.OnAssignAgent/OnAssignHuman' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -l vars -d 'Variables returned to Chatbot.InterfaceInvocation (k=v,k2=v2)' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -l delay -d 'Wait DUR before answering (to test the platform\'s 2 s limit)' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -l save -d 'Append every exchange to FILE as one JSON line (see fixtures/capture.schema.json)' -r -F
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -l forward-to -d 'Relay each callback unchanged to URL, hand its answer back, and validate that answer' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -l timeout -d 'Timeout for --forward-to' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -s H -l header -d 'Add a header to every request (\'Name: value\'), for an API gateway. Repeatable' -r -f
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -l cacert -d 'Also trust the CA certificates in FILE (PEM) for https:// URLs (a private CA)' -r -F
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -l max-body -d 'Largest accepted body, 1 byte to 1 GiB; larger ones get 413' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -l max-requests -d 'Stop after N callbacks (for scripts and tests)' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -l format -d 'Output format on stdout' -r -f -a "human\t'Lines for people'
json\t'JSON Lines'"
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -l inspect-port -d 'Port of the inspector; 0 (the default) picks a free one' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -l inspect-history -d 'With --save: show the last N exchanges the capture already holds when listen starts' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -l inspect-keep -d 'The inspector keeps the last N exchanges in memory (older ones leave the page)' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -l color -d 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t''
never\t''"
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -l fsync -d 'With --save: answer only once the line is on disk (fdatasync), not just written'
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -l insecure -d 'Do not check TLS certificates at all (said on stderr): for a test backend only'
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -s v -l verbose -d 'Show request and answer bodies (human format)'
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -l inspect -d 'Also serve a web inspector (on loopback, unless --host says otherwise); its URL is in the ready line'
complete -c deskhook -n "__fish_deskhook_using_subcommand listen" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c deskhook -n "__fish_deskhook_using_subcommand replay" -l to -d 'Where to send the callbacks again (CEC pushes: <URL>/webhooks/v1/messages, or URL itself when it already ends with that path)' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand replay" -l only -d 'Replay only these events (repeatable; event ids as in `deskhook events`)' -r -f -a "SessionBegin\t'Session starts'
ChatBot.UserSendMsg\t'Messages sent by the user in the chatbot stage'
ChatBot.RobotSendMsg\t'Messages replied by the chatbot in the chatbot stage'
Human.UserSendMsg\t'Messages sent by the user in the agent transfer stage'
Human.AgentSendMsg\t'Messages sent by agent in the agent transfer stage'
TransferringToHuman\t'Transferring to agent'
TransferringToHumanWait\t'Queuing for Agent Transfer'
TransferToHumanSuccess\t'Agent Transfer Successful'
NoAgentOnline\t'No agent is online.'
AgentForward\t'Agent Transfer'
SatisfactionSelected\t'Satisfaction Evaluation'
SessionUserEnd\t'User ends the session.'
SessionAgentEnd\t'Agent ends the session.'
SessionUserTimeoutEnd\t'The session ends if the user times out.'
SessionAgentTimeoutEnd\t'The session ends if the agent times out.'
SessionPendingAutoFinishEnd\t'Queuing ends automatically (user offline)'
SessionEnd\t'Session end'
ChatBot.OnAssignAgent\t'User asks for a human agent; the business backend assigns the agent (older Chat docs command word)'
ChatBot.OnAssignHuman\t'User asks for a human agent; the business backend assigns the agent (newer Contact Center docs command word)'
Chatbot.InterfaceInvocation\t'API call node of a multi-round task passes session variables to the business backend'
Member.EventNotify\t'Agent status change'
Chatbot.TaskFlowEventNotify\t'Task-flow execution details (task start, each node step, task end)'
cec.connected\t'The call is connected to an agent (system chat message)'
cec.queuing\t'The user is queuing for an agent (system chat message)'
cec.agent-message\t'Chat text message sent by an agent'
cec.disconnect.agent\t'Session disconnected by the agent'
cec.disconnect.timeout\t'Session disconnected because of timeout, async switch off'
cec.disconnect.offline\t'Session disconnected because of timeout, async switch on (offline status)'
cec.read\t'The agent has read the user\'s messages'"
complete -c deskhook -n "__fish_deskhook_using_subcommand replay" -l token -d 'Token for fresh `Sign`/`RequestTime` (Tencent) and Bearer (CEC)' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand replay" -l timeout -d 'Give up on an answer after DUR (the platform\'s limit is 2s); a slower answer is a transport failure' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand replay" -l max-latency -d 'An answer slower than DUR counts as a failed check (default: the timeout)' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand replay" -l retries -d 'Re-deliver a failed callback up to N times (at most 100), with the same RequestID, as the platform does' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand replay" -l backoff -d 'Wait DUR before the first retry, doubling before each further one' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand replay" -l expect -d 'What the answers must say: ok (a success envelope), fail (a failure envelope), refused (a 4xx or a failure envelope), or any well-formed envelope' -r -f -a "ok\t'A success envelope (`ActionStatus` OK / `resultCode` "0")'
fail\t'A well-formed failure envelope (`ActionStatus` FAIL / `resultCode` not "0")'
refused\t'A refusal: a 4xx (any body) or a failure envelope; a 5xx passes with a warning'
any\t'Any well-formed envelope'"
complete -c deskhook -n "__fish_deskhook_using_subcommand replay" -s H -l header -d 'Add a header to every request (\'Name: value\'), for an API gateway. Repeatable' -r -f
complete -c deskhook -n "__fish_deskhook_using_subcommand replay" -l cacert -d 'Also trust the CA certificates in FILE (PEM) for https:// URLs (a private CA)' -r -F
complete -c deskhook -n "__fish_deskhook_using_subcommand replay" -s c -l concurrency -d 'At most C requests (or scenario runs) in flight at once' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand replay" -l rate -d 'At most R requests per second' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand replay" -l seed -d 'Seed every random choice (ids, texts, RequestID) for byte-identical output' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand replay" -l now -d 'Take NOW (Unix milliseconds, up to the year 9999) as the current time for EventTime and RequestTime' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand replay" -l format -d 'Output format on stdout' -r -f -a "human\t'One line per request on stdout'
json\t'JSON Lines, one object per request, then a summary object'
junit\t'A JUnit XML report, one test case per request'"
complete -c deskhook -n "__fish_deskhook_using_subcommand replay" -s n -l count -d 'Replay the whole capture N times: the same callbacks each time, ids included (bodies byte for byte, the captured RequestID kept)' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand replay" -l color -d 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t''
never\t''"
complete -c deskhook -n "__fish_deskhook_using_subcommand replay" -l as-is -d 'Send the captured query untouched (stale Sign/RequestTime included)'
complete -c deskhook -n "__fish_deskhook_using_subcommand replay" -l strict -d 'Fail on the first malformed capture line instead of reporting and skipping it'
complete -c deskhook -n "__fish_deskhook_using_subcommand replay" -l insecure -d 'Do not check TLS certificates at all (said on stderr): for a test backend only'
complete -c deskhook -n "__fish_deskhook_using_subcommand replay" -s v -l verbose -d 'Show request and answer bodies (human format)'
complete -c deskhook -n "__fish_deskhook_using_subcommand replay" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c deskhook -n "__fish_deskhook_using_subcommand flow" -l to -d 'The callback URL (optional: without it, an in-process receiver on a loopback port answers)' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand flow" -l sdkappid -d 'SDKAppID sent as the `SdkAppid` URL parameter' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand flow" -l token -d 'Callback token: Tencent `Sign`/`RequestTime` parameters, CEC `Authorization: Bearer`' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand flow" -l client-ip -d 'The `ClientIP` URL parameter' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand flow" -l platform -d 'The `OptPlatform` URL parameter (Desk\'s value is undocumented: RESTAPI by default)' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand flow" -l query -d 'Add or replace a URL parameter (for example RequestID=fixed-1). Repeatable' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand flow" -l timeout -d 'Give up on an answer after DUR (the platform\'s limit is 2s); a slower answer is a transport failure' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand flow" -l max-latency -d 'An answer slower than DUR counts as a failed check (default: the timeout)' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand flow" -l retries -d 'Re-deliver a failed callback up to N times (at most 100), with the same RequestID, as the platform does' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand flow" -l backoff -d 'Wait DUR before the first retry, doubling before each further one' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand flow" -l expect -d 'What the answers must say: ok (a success envelope), fail (a failure envelope), refused (a 4xx or a failure envelope), or any well-formed envelope' -r -f -a "ok\t'A success envelope (`ActionStatus` OK / `resultCode` "0")'
fail\t'A well-formed failure envelope (`ActionStatus` FAIL / `resultCode` not "0")'
refused\t'A refusal: a 4xx (any body) or a failure envelope; a 5xx passes with a warning'
any\t'Any well-formed envelope'"
complete -c deskhook -n "__fish_deskhook_using_subcommand flow" -s H -l header -d 'Add a header to every request (\'Name: value\'), for an API gateway. Repeatable' -r -f
complete -c deskhook -n "__fish_deskhook_using_subcommand flow" -l cacert -d 'Also trust the CA certificates in FILE (PEM) for https:// URLs (a private CA)' -r -F
complete -c deskhook -n "__fish_deskhook_using_subcommand flow" -s n -l count -d 'Send each event (or run the scenario) N times, each with fresh ids' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand flow" -s c -l concurrency -d 'At most C requests (or scenario runs) in flight at once' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand flow" -l rate -d 'At most R requests per second' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand flow" -l seed -d 'Seed every random choice (ids, texts, RequestID) for byte-identical output' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand flow" -l now -d 'Take NOW (Unix milliseconds, up to the year 9999) as the current time for EventTime and RequestTime' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand flow" -l format -d 'Output format on stdout' -r -f -a "human\t'One line per request on stdout'
json\t'JSON Lines, one object per request, then a summary object'
junit\t'A JUnit XML report, one test case per request'"
complete -c deskhook -n "__fish_deskhook_using_subcommand flow" -l color -d 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t''
never\t''"
complete -c deskhook -n "__fish_deskhook_using_subcommand flow" -l dry-run -d 'Print each request that would be sent, answered by the built-in receiver\'s logic; send nothing'
complete -c deskhook -n "__fish_deskhook_using_subcommand flow" -l insecure -d 'Do not check TLS certificates at all (said on stderr): for a test backend only'
complete -c deskhook -n "__fish_deskhook_using_subcommand flow" -s v -l verbose -d 'Show request and answer bodies (human format)'
complete -c deskhook -n "__fish_deskhook_using_subcommand flow" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c deskhook -n "__fish_deskhook_using_subcommand flows" -l format -d 'Output format on stdout' -r -f -a "human\t'Lines for people'
json\t'JSON Lines'"
complete -c deskhook -n "__fish_deskhook_using_subcommand flows" -l color -d 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t''
never\t''"
complete -c deskhook -n "__fish_deskhook_using_subcommand flows" -l json -d 'The same as --format json'
complete -c deskhook -n "__fish_deskhook_using_subcommand flows" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c deskhook -n "__fish_deskhook_using_subcommand events" -l format -d 'Output format on stdout' -r -f -a "human\t'Lines for people'
json\t'JSON Lines'"
complete -c deskhook -n "__fish_deskhook_using_subcommand events" -l provider -d 'Only this provider\'s events' -r -f -a "tencent\t'Tencent Cloud Contact Center (Desk) callbacks'
huawei\t'Huawei Cloud CEC message push'"
complete -c deskhook -n "__fish_deskhook_using_subcommand events" -l color -d 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t''
never\t''"
complete -c deskhook -n "__fish_deskhook_using_subcommand events" -l json -d 'The same as --format json'
complete -c deskhook -n "__fish_deskhook_using_subcommand events" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c deskhook -n "__fish_deskhook_using_subcommand validate" -l format -d 'Output format' -r -f -a "human\t'Lines for people'
json\t'JSON Lines'"
complete -c deskhook -n "__fish_deskhook_using_subcommand validate" -l color -d 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t''
never\t''"
complete -c deskhook -n "__fish_deskhook_using_subcommand validate" -l request -d 'The callback body the platform sends'
complete -c deskhook -n "__fish_deskhook_using_subcommand validate" -l response -d 'The answer the backend returns'
complete -c deskhook -n "__fish_deskhook_using_subcommand validate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c deskhook -n "__fish_deskhook_using_subcommand schema" -l color -d 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t''
never\t''"
complete -c deskhook -n "__fish_deskhook_using_subcommand schema" -l request -d 'The callback body the platform sends'
complete -c deskhook -n "__fish_deskhook_using_subcommand schema" -l response -d 'The answer the backend returns'
complete -c deskhook -n "__fish_deskhook_using_subcommand schema" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c deskhook -n "__fish_deskhook_using_subcommand sign" -l token -d 'The callback token configured in the console' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand sign" -l time -d 'RequestTime in Unix seconds (default: now)' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand sign" -l format -d 'Output format on stdout' -r -f -a "human\t'Lines for people'
json\t'JSON Lines'"
complete -c deskhook -n "__fish_deskhook_using_subcommand sign" -l color -d 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t''
never\t''"
complete -c deskhook -n "__fish_deskhook_using_subcommand sign" -l json -d 'The same as --format json'
complete -c deskhook -n "__fish_deskhook_using_subcommand sign" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c deskhook -n "__fish_deskhook_using_subcommand verify" -l token -d 'The callback token configured in the console' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand verify" -l sdkappid -d 'Also check that `SdkAppid` is ID' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand verify" -l now -d 'Take SECS (Unix seconds) as the current time' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand verify" -l tolerance -d 'Accepted clock difference for `RequestTime`' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand verify" -l color -d 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t''
never\t''"
complete -c deskhook -n "__fish_deskhook_using_subcommand verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c deskhook -n "__fish_deskhook_using_subcommand audit" -l to -d 'The backend\'s callback URL (CEC: the base URL, as entered in AICC)' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand audit" -l provider -d 'Which platform\'s callbacks to probe' -r -f -a "tencent\t'Tencent Cloud Contact Center (Desk) callbacks'
huawei\t'Huawei Cloud CEC message push'"
complete -c deskhook -n "__fish_deskhook_using_subcommand audit" -l sdkappid -d 'SDKAppID sent as the `SdkAppid` URL parameter' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand audit" -l token -d 'Callback token: Tencent `Sign`/`RequestTime` parameters, CEC `Authorization: Bearer`' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand audit" -l client-ip -d 'The `ClientIP` URL parameter' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand audit" -l platform -d 'The `OptPlatform` URL parameter (Desk\'s value is undocumented: RESTAPI by default)' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand audit" -l query -d 'Add or replace a URL parameter (for example RequestID=fixed-1). Repeatable' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand audit" -s H -l header -d 'Add a header to every request (\'Name: value\'), for an API gateway. Repeatable' -r -f
complete -c deskhook -n "__fish_deskhook_using_subcommand audit" -l cacert -d 'Also trust the CA certificates in FILE (PEM) for https:// URLs (a private CA)' -r -F
complete -c deskhook -n "__fish_deskhook_using_subcommand audit" -l only -d 'Run only this probe (repeatable; `--list` shows the ids)' -r -f -a "baseline\t'The reference point: a backend that refuses valid callbacks loses real traffic, and its refusals of the forged ones prove nothing.'
sign-missing\t'Forgery: anyone who knows the callback URL posts callbacks without a signature.'
sign-empty\t'Forgery through a check that skips an empty Sign (`if sign and sign != expected`).'
sign-wrong\t'Forgery: a signature made with a guessed, old or other app\'s token.'
time-stale\t'Replay: a captured or logged callback URL sent again later.'
time-future\t'Replay of a URL dated ahead: a check of old times only lets it through until its time comes.'
time-millis\t'A time check that never bites: read as seconds, a millisecond time lies tens of thousands of years ahead.'
sdkappid-wrong\t'Confusion: callbacks of another app (another tenant, a test app) that reach this URL are processed as this app\'s.'
sdkappid-missing\t'Confusion: a callback that names no app is taken as this app\'s.'
bearer-missing\t'Forgery: anyone who knows the push URL posts messages and session events.'
bearer-wrong\t'Forgery with a guessed, expired or other tenant\'s token.'
bearer-empty\t'Forgery through a comparison over the shorter length, or a check of the scheme word only.'
unknown-fields\t'Tolerance: the platform adds fields over time; a receiver that rejects unknown fields breaks on the next release.'
unknown-params\t'Tolerance: the platform appends URL parameters, and has added new ones before.'
optional-absent\t'Tolerance: optional fields (ChannelType, CloudCustomData, ClientInfo, CEC senderNickname, …) are not always sent.'
large-body\t'Tolerance: long transcripts and image-heavy messages make large bodies; a body limit far below 1 MiB refuses them.'
unicode\t'Tolerance: users write in every script; a wrong charset or a naive escape decoder garbles or refuses their messages.'
duplicate\t'Tolerance: the platform re-delivers with the same RequestID; a duplicate must still get the success answer (and be processed once).'
burst\t'Load: a busy contact center sends many callbacks together, and each must be answered within 2 s.'
time-edge\t'Tolerance: sender and receiver clocks drift; a window narrower than the documented one refuses real callbacks.'
doc-variants\t'Tolerance: where the vendor\'s pages disagree, the platform may send either form.'
malformed-body\t'Robustness: bad input gets a clean 4xx or failure envelope, never a 5xx or a hang (the checks Schemathesis runs on OpenAPI services as negative data and not_a_server_error).'"
complete -c deskhook -n "__fish_deskhook_using_subcommand audit" -l skip -d 'Do not run this probe (repeatable)' -r -f -a "baseline\t'The reference point: a backend that refuses valid callbacks loses real traffic, and its refusals of the forged ones prove nothing.'
sign-missing\t'Forgery: anyone who knows the callback URL posts callbacks without a signature.'
sign-empty\t'Forgery through a check that skips an empty Sign (`if sign and sign != expected`).'
sign-wrong\t'Forgery: a signature made with a guessed, old or other app\'s token.'
time-stale\t'Replay: a captured or logged callback URL sent again later.'
time-future\t'Replay of a URL dated ahead: a check of old times only lets it through until its time comes.'
time-millis\t'A time check that never bites: read as seconds, a millisecond time lies tens of thousands of years ahead.'
sdkappid-wrong\t'Confusion: callbacks of another app (another tenant, a test app) that reach this URL are processed as this app\'s.'
sdkappid-missing\t'Confusion: a callback that names no app is taken as this app\'s.'
bearer-missing\t'Forgery: anyone who knows the push URL posts messages and session events.'
bearer-wrong\t'Forgery with a guessed, expired or other tenant\'s token.'
bearer-empty\t'Forgery through a comparison over the shorter length, or a check of the scheme word only.'
unknown-fields\t'Tolerance: the platform adds fields over time; a receiver that rejects unknown fields breaks on the next release.'
unknown-params\t'Tolerance: the platform appends URL parameters, and has added new ones before.'
optional-absent\t'Tolerance: optional fields (ChannelType, CloudCustomData, ClientInfo, CEC senderNickname, …) are not always sent.'
large-body\t'Tolerance: long transcripts and image-heavy messages make large bodies; a body limit far below 1 MiB refuses them.'
unicode\t'Tolerance: users write in every script; a wrong charset or a naive escape decoder garbles or refuses their messages.'
duplicate\t'Tolerance: the platform re-delivers with the same RequestID; a duplicate must still get the success answer (and be processed once).'
burst\t'Load: a busy contact center sends many callbacks together, and each must be answered within 2 s.'
time-edge\t'Tolerance: sender and receiver clocks drift; a window narrower than the documented one refuses real callbacks.'
doc-variants\t'Tolerance: where the vendor\'s pages disagree, the platform may send either form.'
malformed-body\t'Robustness: bad input gets a clean 4xx or failure envelope, never a 5xx or a hang (the checks Schemathesis runs on OpenAPI services as negative data and not_a_server_error).'"
complete -c deskhook -n "__fish_deskhook_using_subcommand audit" -l timeout -d 'Give up on an answer after DUR (the platform\'s limit is 2s); `burst` must fit in it' -r
complete -c deskhook -n "__fish_deskhook_using_subcommand audit" -l format -d 'Output format on stdout: human (a line per probe), json (a record per probe, then a summary) or junit (a test case per probe)' -r -f -a "human\t'One line per request on stdout'
json\t'JSON Lines, one object per request, then a summary object'
junit\t'A JUnit XML report, one test case per request'"
complete -c deskhook -n "__fish_deskhook_using_subcommand audit" -l color -d 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t''
never\t''"
complete -c deskhook -n "__fish_deskhook_using_subcommand audit" -l insecure -d 'Do not check TLS certificates at all (said on stderr): for a test backend only'
complete -c deskhook -n "__fish_deskhook_using_subcommand audit" -l strict -d 'Fail the run on warnings too (a refusal by a 5xx, a narrow clock window, …)'
complete -c deskhook -n "__fish_deskhook_using_subcommand audit" -l list -d 'List every probe: the attack or tolerance it covers and the documented rule it rests on'
complete -c deskhook -n "__fish_deskhook_using_subcommand audit" -s v -l verbose -d 'Show every callback of each probe: URL, answer, violations (human and json)'
complete -c deskhook -n "__fish_deskhook_using_subcommand audit" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c deskhook -n "__fish_deskhook_using_subcommand completions" -l color -d 'When to use colour: auto (a terminal, and NO_COLOR unset), always or never' -r -f -a "auto\t'On a terminal, unless NO_COLOR is set or TERM is dumb'
always\t''
never\t''"
complete -c deskhook -n "__fish_deskhook_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c deskhook -n "__fish_deskhook_using_subcommand help; and not __fish_seen_subcommand_from send listen replay flow flows events validate schema sign verify audit completions help" -f -a "send" -d 'Send realistic, signed callbacks and validate the answers'
complete -c deskhook -n "__fish_deskhook_using_subcommand help; and not __fish_seen_subcommand_from send listen replay flow flows events validate schema sign verify audit completions help" -f -a "listen" -d 'Run the built-in receiver: inspect, verify, answer and capture incoming callbacks'
complete -c deskhook -n "__fish_deskhook_using_subcommand help; and not __fish_seen_subcommand_from send listen replay flow flows events validate schema sign verify audit completions help" -f -a "replay" -d 'Send captured callbacks again, bodies byte-for-byte as captured'
complete -c deskhook -n "__fish_deskhook_using_subcommand help; and not __fish_seen_subcommand_from send listen replay flow flows events validate schema sign verify audit completions help" -f -a "flow" -d 'Play a whole conversation, each step driven by the backend\'s answers'
complete -c deskhook -n "__fish_deskhook_using_subcommand help; and not __fish_seen_subcommand_from send listen replay flow flows events validate schema sign verify audit completions help" -f -a "flows" -d 'List the built-in conversation scenarios'
complete -c deskhook -n "__fish_deskhook_using_subcommand help; and not __fish_seen_subcommand_from send listen replay flow flows events validate schema sign verify audit completions help" -f -a "events" -d 'List every event deskhook can send'
complete -c deskhook -n "__fish_deskhook_using_subcommand help; and not __fish_seen_subcommand_from send listen replay flow flows events validate schema sign verify audit completions help" -f -a "validate" -d 'Check one JSON document against an event\'s request or response envelope, offline'
complete -c deskhook -n "__fish_deskhook_using_subcommand help; and not __fish_seen_subcommand_from send listen replay flow flows events validate schema sign verify audit completions help" -f -a "schema" -d 'Print the JSON Schema deskhook validates an event\'s request or response against'
complete -c deskhook -n "__fish_deskhook_using_subcommand help; and not __fish_seen_subcommand_from send listen replay flow flows events validate schema sign verify audit completions help" -f -a "sign" -d 'Print RequestTime and Sign for a token, as the platform computes them'
complete -c deskhook -n "__fish_deskhook_using_subcommand help; and not __fish_seen_subcommand_from send listen replay flow flows events validate schema sign verify audit completions help" -f -a "verify" -d 'Check the signature of a full callback URL and say exactly what is wrong'
complete -c deskhook -n "__fish_deskhook_using_subcommand help; and not __fish_seen_subcommand_from send listen replay flow flows events validate schema sign verify audit completions help" -f -a "audit" -d 'Probe one backend: does it refuse forged, stale and foreign callbacks, and take odd valid ones?'
complete -c deskhook -n "__fish_deskhook_using_subcommand help; and not __fish_seen_subcommand_from send listen replay flow flows events validate schema sign verify audit completions help" -f -a "completions" -d 'Print a shell completion script (bash, zsh, fish, powershell, elvish)'
complete -c deskhook -n "__fish_deskhook_using_subcommand help; and not __fish_seen_subcommand_from send listen replay flow flows events validate schema sign verify audit completions help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
