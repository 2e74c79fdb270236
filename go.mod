module github.com/tensorcosm/tensorcosm

go 1.24.0

require (
	github.com/cosmos/cosmos-sdk v0.53.8
	github.com/cometbft/cometbft v0.38.26
	github.com/yalue/onnxruntime_go v1.27.0
)

replace (
	// use the cosmos fork of keyring, as the SDK does
	github.com/99designs/keyring => github.com/cosmos/keyring v1.2.0
	// see GHSA-h395-qcrw-5vmq, replaced by the SDK as well
	github.com/dgrijalva/jwt-go => github.com/golang-jwt/jwt/v4 v4.4.2
	github.com/gin-gonic/gin => github.com/gin-gonic/gin v1.9.1
	// without this pin the node makes blocks but every query fails with "version does not exist"
	github.com/syndtr/goleveldb => github.com/syndtr/goleveldb v1.0.1-0.20210819022825-2ae1ddf74ef7
)
