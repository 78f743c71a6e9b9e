// The tutorial's app.js (openvidu-tutorials v2.32.2 openvidu-webcomponent/web/app.js), in
// plain DOM instead of jQuery; the same events, the same two tokens, the same application
// server API. window.__log records what the handlers saw, for the test.
var APPLICATION_SERVER_URL = '';
window.__log = [];
function log(type, extra) {
    window.__log.push(Object.assign({ type: type, at: Date.now() }, extra || {}));
}

document.addEventListener('DOMContentLoaded', function () {
    var webComponent = document.querySelector('openvidu-webcomponent');
    var form = document.getElementById('main');

    webComponent.addEventListener('onSessionCreated', function (event) {
        var session = event.detail;
        log('onSessionCreated', { connected: !!session.connection, hasOn: typeof session.on === 'function' });
        session.on('connectionCreated', function (e) {
            log('connectionCreated', { connectionId: e.connection.connectionId, data: e.connection.data });
        });
        session.on('streamDestroyed', function (e) {
            log('streamDestroyed', { streamId: e.stream.streamId });
        });
        session.on('streamCreated', function (e) {
            log('streamCreated', { streamId: e.stream.streamId, typeOfVideo: e.stream.typeOfVideo });
        });
        session.on('sessionDisconnected', function (e) {
            log('sessionDisconnected', { reason: e.reason });
            form.style.display = 'block';
            webComponent.style.display = 'none';
        });
        session.on('exception', function (exception) {
            console.error(exception);
        });
    });
    [
        'onJoinButtonClicked', 'onToolbarLeaveButtonClicked', 'onToolbarCameraButtonClicked', 'onToolbarMicrophoneButtonClicked',
        'onToolbarScreenshareButtonClicked', 'onToolbarParticipantsPanelButtonClicked', 'onToolbarChatPanelButtonClicked',
        'onToolbarFullscreenButtonClicked'
    ].forEach(function (name) {
        webComponent.addEventListener(name, function () {
            log(name);
        });
    });
    webComponent.addEventListener('onParticipantCreated', function (event) {
        log('onParticipantCreated', { name: event.detail && event.detail.name });
    });
});

async function joinSession() {
    var sessionName = document.getElementById('sessionName').value;
    var participantName = document.getElementById('user').value;
    var tokens = await Promise.all([getToken(sessionName), getToken(sessionName)]);
    var webComponent = document.querySelector('openvidu-webcomponent');
    document.getElementById('main').style.display = 'none';
    webComponent.style.display = 'block';
    // webComponent.participantName = participantName;  (commented out in the 2.32.2 tutorial)
    webComponent.tokens = { webcam: tokens[0], screen: tokens[1] };
}

async function getToken(mySessionId) {
    const sessionId = await createSession(mySessionId);
    return await createToken(sessionId);
}

async function createSession(sessionId) {
    const response = await fetch(APPLICATION_SERVER_URL + 'api/sessions', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ customSessionId: sessionId })
    });
    return await response.text();
}

async function createToken(sessionId) {
    const response = await fetch(APPLICATION_SERVER_URL + 'api/sessions/' + sessionId + '/connections', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({})
    });
    return await response.text();
}
